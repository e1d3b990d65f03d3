<# For the mocha driver: one run of node-checks.ps1 on a stubbed node under -Root; prints its output. #>
param(
    [Parameter(Mandatory = $true)] [string]$Root,
    [ValidateSet('healthy', 'no-flannel-network')] [string]$Scenario = 'healthy',
    [string]$ApiServerUrl = '',
    # What [Net.ServicePointManager]::SecurityProtocol starts as (.NET Framework's old defaults had no Tls12).
    [string]$InitialSecurityProtocol = ''
)
$ErrorActionPreference = 'Stop'
. (Join-Path $PSScriptRoot 'NodeHarness.ps1')
Initialize-NodeRoot -Root $Root
Install-WindowsStubs -Hns (Get-RecordedHns -WithoutFlannelNetwork:($Scenario -eq 'no-flannel-network'))
if ($InitialSecurityProtocol) {
    [Net.ServicePointManager]::SecurityProtocol = [Net.SecurityProtocolType]$InitialSecurityProtocol
}
$params = @{ NetworkType = 'Overlay'; DnsServiceIp = '10.96.0.10'; PodCidr = '10.244.21.0/24' }
if ($ApiServerUrl) { $params.ApiServerUrl = $ApiServerUrl }
$out = Invoke-NodeChecks -Parameters $params
Remove-WindowsStubs
[Console]::Out.Write($out)
