<#
  Runs one script on the simulated Windows machine (windows-sim.ps1) as the cloud's agent or a
  startup task would: powershell.exe -File <script>. Saves the machine state afterwards and
  exits with the script's exit code. The test (node-sim.ts) prepares the state and the roots.
#>
param([Parameter(Mandatory = $true)] [string]$Script)
. (Join-Path $PSScriptRoot 'windows-sim.ps1')
$global:Sim.run = [int]$global:Sim.run + 1
$env:COMPUTERNAME = $global:Sim.computerName
$code = 0
try {
    $global:LASTEXITCODE = 0
    & $Script
    $code = $global:LASTEXITCODE
}
catch {
    # Only an error the script itself failed to catch lands here: the test reports it as such.
    Add-SimEvent 'uncaught' ('{0} at {1}' -f $_.Exception.Message, $_.InvocationInfo.PositionMessage)
    [Console]::Error.WriteLine("uncaught: $($_.Exception.Message)`n$($_.InvocationInfo.PositionMessage)")
    $code = 99
}
finally {
    $global:Sim.exitCodes += , $code
    Save-SimState
}
exit $code
