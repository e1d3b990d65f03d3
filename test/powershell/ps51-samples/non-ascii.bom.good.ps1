# With a byte order mark 5.1 reads the file as UTF-8.
Write-Host 'café'
