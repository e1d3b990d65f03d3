# A log only people and PowerShell read may keep its BOM, with the reason on the line.
Add-Content -Path C:\k\notes.log -Value 'x' -Encoding UTF8 # ps51-gate: allow ps51-utf8-bom (read by people only)
[IO.File]::WriteAllText('C:\k\kubeadm.yaml', $yaml, (New-Object Text.UTF8Encoding -ArgumentList $false))
