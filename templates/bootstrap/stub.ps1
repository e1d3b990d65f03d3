# win-k8s bootstrap stub: the full script travels below as base64-encoded gzip.
$ErrorActionPreference = 'Stop'
$payload = @'
{{PAYLOAD}}
'@
$bytes = [Convert]::FromBase64String(($payload -replace '\s', ''))
$stream = New-Object System.IO.MemoryStream -ArgumentList @(, $bytes)
$gzip = New-Object System.IO.Compression.GZipStream -ArgumentList $stream, ([System.IO.Compression.CompressionMode]::Decompress)
$reader = New-Object System.IO.StreamReader -ArgumentList $gzip, ([System.Text.Encoding]::UTF8)
$script = $reader.ReadToEnd()
$reader.Close()
$dir = Join-Path $env:ProgramData 'win-k8s'
New-Item -ItemType Directory -Force -Path $dir | Out-Null
$path = Join-Path $dir 'bootstrap.ps1'
[System.IO.File]::WriteAllText($path, $script, (New-Object System.Text.UTF8Encoding -ArgumentList $true))
& icacls.exe $path /inheritance:r /grant:r '*S-1-5-18:(F)' '*S-1-5-32-544:(F)' | Out-Null
& powershell.exe -NoProfile -ExecutionPolicy Bypass -File $path
exit $LASTEXITCODE
