$ErrorActionPreference = 'Stop'
Set-Content -LiteralPath C:\k\phase.done -Value (Get-Date -Format o) -Encoding ASCII
[IO.File]::WriteAllText('C:\etc\cni\net.d\10.conf', $json, (New-Object Text.UTF8Encoding -ArgumentList $false))
Get-Process | Export-Csv -Path C:\k\p.csv -NoTypeInformation -Encoding ASCII
'discarded' > $null
Get-Service | Tee-Object -Variable services | Out-Null
Get-Content -LiteralPath C:\k\config -Encoding UTF8
