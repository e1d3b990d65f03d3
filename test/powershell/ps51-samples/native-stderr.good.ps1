# The approved patterns: Continue in the function that redirects, or no redirection at all.
$ErrorActionPreference = 'Stop'
function Invoke-NativeCommand {
    param([string]$FilePath, [string[]]$ArgumentList = @())
    $ErrorActionPreference = 'Continue'
    $raw = & $FilePath @ArgumentList 2>&1
    return [pscustomobject]@{ ExitCode = $LASTEXITCODE; Output = @($raw | ForEach-Object { [string]$_ }) }
}
function Invoke-Saved {
    $saved = $ErrorActionPreference
    $ErrorActionPreference = 'SilentlyContinue'
    try {
        $out = & kubeadm.exe version 2>&1
    }
    finally {
        $ErrorActionPreference = $saved
    }
    return $out
}
# Without a redirection 5.1 leaves stderr alone.
& icacls.exe C:\k /inheritance:r
# Start-Process captures stderr in a file without error records.
$p = Start-Process -FilePath 'route.exe' -ArgumentList 'print' -Wait -PassThru -NoNewWindow -RedirectStandardError (Join-Path $env:TEMP 'route.err')
# Cmdlets are not native commands: 2>$null only drops their error records.
Get-Item -LiteralPath C:\nonexistent 2>$null
