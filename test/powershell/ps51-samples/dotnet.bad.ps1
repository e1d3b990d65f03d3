$rel = [IO.Path]::GetRelativePath('C:\k', 'C:\k\bin') # expect: ps51-dotnet-core-api
$hex = [Convert]::ToHexString([byte[]](1, 2)) # expect: ps51-dotnet-core-api
$client = [System.Net.Http.HttpClient]::new() # expect: ps51-assembly-not-loaded
[IO.Compression.ZipFile]::ExtractToDirectory('C:\k\a.zip', 'C:\k\a') # expect: ps51-assembly-not-loaded
