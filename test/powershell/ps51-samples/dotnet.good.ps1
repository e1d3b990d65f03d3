Add-Type -AssemblyName System.Net.Http
Add-Type -AssemblyName System.IO.Compression.FileSystem
$client = New-Object System.Net.Http.HttpClient
[IO.Compression.ZipFile]::ExtractToDirectory('C:\k\a.zip', 'C:\k\a')
$hex = ([BitConverter]::ToString([byte[]](1, 2)) -replace '-', '').ToLowerInvariant()
$full = [IO.Path]::Combine('C:\k', 'bin')
$gzip = New-Object System.IO.Compression.GZipStream -ArgumentList $stream, ([System.IO.Compression.CompressionMode]::Decompress)
