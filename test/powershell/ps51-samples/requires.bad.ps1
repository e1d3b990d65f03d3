#requires -Version 7.0
#requires -PSEdition Core
# expect@1: ps51-requires-7
Write-Host 'needs 7'
