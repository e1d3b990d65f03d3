# A parse error is a finding of its own: nothing else about the file can be trusted.
if ($true { # expect: ps51-parse-error
    Write-Host 'x'
}
