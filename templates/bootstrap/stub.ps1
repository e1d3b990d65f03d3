# win-k8s bootstrap stub: the full script travels below as gzip in base85 (RFC 1924 alphabet).
$ErrorActionPreference = 'Stop'
$payload = @'
{{PAYLOAD}}
'@
{{DECODE}}
{{WRITE}}
& powershell.exe -NoProfile -ExecutionPolicy Bypass -File $path
exit $LASTEXITCODE
