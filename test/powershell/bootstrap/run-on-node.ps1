<#
  Runs one script on the simulated Windows machine (windows-sim.ps1) as the cloud's agent or a
  startup task would: powershell.exe -File <script>. Saves the machine state afterwards and
  exits with the script's exit code. The test (node-sim.ts) prepares the state and the roots.
#>
param([Parameter(Mandatory = $true)] [string]$Script)
. (Join-Path $PSScriptRoot 'windows-sim.ps1')
$global:Sim.run = [int]$global:Sim.run + 1
$env:COMPUTERNAME = $global:Sim.computerName
$code = Invoke-SimRun {
    $global:LASTEXITCODE = 0
    & $Script | Out-Host
    $global:LASTEXITCODE
}
exit $code
