Write-Host 'café' # expect: ps51-non-ascii-source
