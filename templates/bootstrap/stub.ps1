# win-k8s bootstrap stub: the full script travels below as gzip in base85 (RFC 1924 alphabet).
$ErrorActionPreference = 'Stop'
$payload = @'
{{PAYLOAD}}
'@
# Base85 (RFC 1924): each 5 characters are a big-endian 32-bit number; the text was cut short
# by as many characters as the data was padded, so pad with the highest digit and drop as many bytes.
$t = $payload -replace '\s', ''
$a = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~'
$n = (5 - $t.Length % 5) % 5
$t += '~' * $n
$b = New-Object byte[] ($t.Length / 5 * 4)
for ($i = 0; $i -lt $t.Length; $i += 5) {
$v = [uint64]0
foreach ($c in $t.Substring($i, 5).ToCharArray()) { $v = $v * 85 + $a.IndexOf($c) }
for ($k = 3; $k -ge 0; $k--) { $b[$i / 5 * 4 + $k] = [byte]($v -band 255); $v = $v -shr 8 }
}
$bytes = $b[0..($b.Length - $n - 1)]
$stream = New-Object System.IO.MemoryStream -ArgumentList @(, $bytes)
$gzip = New-Object System.IO.Compression.GZipStream -ArgumentList $stream, ([System.IO.Compression.CompressionMode]::Decompress)
$reader = New-Object System.IO.StreamReader -ArgumentList $gzip, ([System.Text.Encoding]::UTF8)
$script = $reader.ReadToEnd()
$reader.Close()
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
