# win-k8s bootstrap stub: the full script travels below as gzip in base85 (RFC 1924 alphabet).
$ErrorActionPreference = 'Stop'
$payload = @'
{{PAYLOAD}}
'@
{{DECODE}}
$dir = Join-Path $env:ProgramData 'win-k8s'
New-Item -ItemType Directory -Force -Path $dir | Out-Null
$path = Join-Path $dir 'bootstrap.ps1'
# The script carries the bootstrap token: lock the file to SYSTEM and Administrators while it is
# still empty, and write nothing if that fails.
if (Test-Path -LiteralPath $path) {
    Remove-Item -LiteralPath $path -Force
}
New-Item -ItemType File -Path $path | Out-Null
$acl = & icacls.exe $path /inheritance:r /grant:r '*S-1-5-18:(F)' '*S-1-5-32-544:(F)'
if ($LASTEXITCODE -ne 0) {
    throw ('icacls could not restrict {0} (exit {1}): {2}' -f $path, $LASTEXITCODE, ($acl -join ' '))
}
[System.IO.File]::WriteAllText($path, $script, (New-Object System.Text.UTF8Encoding -ArgumentList $true))
& powershell.exe -NoProfile -ExecutionPolicy Bypass -File $path
exit $LASTEXITCODE
