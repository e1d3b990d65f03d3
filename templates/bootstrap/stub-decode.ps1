# The stubs' shared decoder: $payload (base85 of gzip) -> $script (the bootstrap's text).
# Each stub puts it in at {{DECODE}}; it is not run on its own.
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
