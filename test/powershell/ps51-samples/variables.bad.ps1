if ($IsWindows) { Write-Host 'windows' } # expect: ps51-7-only-variable
$PSNativeCommandUseErrorActionPreference = $true # expect: ps51-7-only-variable
$bold = $PSStyle.Bold # expect: ps51-7-only-variable
