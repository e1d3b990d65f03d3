$a = $null
$x = $a ? 1 : 2 # expect: ps51-syntax-7-only
$y = $a ?? 'default' # expect: ps51-syntax-7-only
$a ??= 'set' # expect: ps51-syntax-7-only
$n = ${a}?.Length # expect: ps51-syntax-7-only
$f = ${a}?[0] # expect: ps51-syntax-7-only
Get-Item C:\k && Write-Host ok # expect: ps51-syntax-7-only
Get-Item C:\k || Write-Host missing # expect: ps51-syntax-7-only
Start-Sleep -Seconds 1 & # expect: ps51-syntax-7-only
function Use-Clean {
    process { $_ }
    clean { Write-Host done } # expect: ps51-syntax-7-only
}
$esc = "`e[0m" # expect: ps51-syntax-7-only
$arrow = "`u{2195}" # expect: ps51-syntax-7-only
$bits = 0b1010 # expect: ps51-syntax-7-only
$small = 5u # expect: ps51-syntax-7-only
function Set-Count {
    param([ValidateRange('Positive')] [int]$Count, # expect: ps51-syntax-7-only
        [ValidateNotNullOrWhiteSpace()] [string]$Name) # expect: ps51-syntax-7-only
}
1..3 | ForEach-Object -Parallel { $_ } # expect: ps51-syntax-7-only
1..3 | % -Parallel { $_ } -ThrottleLimit 2 # expect: ps51-syntax-7-only
$h = '{}' | ConvertFrom-Json -AsHashtable # expect: ps51-syntax-7-only
$d = '{}' | ConvertFrom-Json -Depth 5 # expect: ps51-syntax-7-only
$j = @(1) | ConvertTo-Json -EscapeHandling EscapeNonAscii # expect: ps51-syntax-7-only
$bytes = Get-Content -LiteralPath C:\k\x.bin -AsByteStream # expect: ps51-syntax-7-only
$text = Get-Content -LiteralPath C:\k\x.txt -Encoding utf8NoBOM # expect: ps51-syntax-7-only
Set-Content -LiteralPath C:\k\y.txt -Value 'y' -Encoding utf8BOM # expect: ps51-syntax-7-only
$p = Join-Path 'C:\' 'k' 'bin' # expect: ps51-syntax-7-only
Test-Json -Json '{}' # expect: ps51-syntax-7-only
Get-Error # expect: ps51-syntax-7-only
[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
Invoke-WebRequest -UseBasicParsing -Uri https://example.invalid/ -SkipCertificateCheck # expect: ps51-syntax-7-only
$v = [semver]'1.2.3' # expect: ps51-dotnet-core-api
