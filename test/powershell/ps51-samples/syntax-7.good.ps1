# The Windows PowerShell 5.1 spellings of the same things.
$a = $null
$x = if ($a) { 1 } else { 2 }
$y = if ($null -ne $a) { $a } else { 'default' }
if ($null -eq $a) { $a = 'set' }
Get-Item C:\k
if ($?) { Write-Host ok }
$job = Start-Job -ScriptBlock { Start-Sleep -Seconds 1 }
$esc = [string][char]0x1B + '[0m'
$arrow = [string][char]0x2195
$bits = 0xA
$small = [uint32]5
function Set-Count {
    param([ValidateRange(1, 2147483647)] [int]$Count,
        [ValidateScript({ -not [string]::IsNullOrWhiteSpace($_) })] [string]$Name)
}
1..3 | ForEach-Object { $_ }
$o = '{}' | ConvertFrom-Json
$bytes = Get-Content -LiteralPath C:\k\x.bin -Encoding Byte
$raw = [IO.File]::ReadAllBytes('C:\k\x.bin')
$p = Join-Path (Join-Path 'C:\' 'k') 'bin'
$o = [ordered]@{ a = 1 }
$j = $o | ConvertTo-Json -Depth 5 -Compress
$v = [version]'1.2.3'
