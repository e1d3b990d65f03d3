if ($env:OS -eq 'Windows_NT') { Write-Host 'windows' }
if ($PSVersionTable.PSVersion.Major -lt 6) { Write-Host 'Windows PowerShell' }
