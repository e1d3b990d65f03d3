# win-k8s bootstrap stub for Azure. Azure keeps customData with the VM and copies it to
# C:\AzureData\CustomData.bin, so it carries the script without its bootstrap token. The Custom
# Script Extension runs this text with -Token from its protectedSettings (encrypted to the VM),
# and the token goes only into the protected copy of the script, which is deleted after the join.
param([Parameter(Mandatory = $true)] [AllowEmptyString()] [string]$Token)
$ErrorActionPreference = 'Stop'
# kubeadm's token form, or empty for a provision-only script: nothing else may reach the script.
if ($Token -notmatch '^([a-z0-9]{6}\.[a-z0-9]{16})?$') {
    throw 'the bootstrap token given to the stub is not a kubeadm bootstrap token'
}
$payload = @'
{{PAYLOAD}}
'@
{{DECODE}}
$slot = "`$BootstrapToken = '{{TOKEN_SLOT}}'"
if ($Token -ne '') {
    if (-not $script.Contains($slot)) {
        throw 'the bootstrap script has no slot for its token'
    }
    $script = $script.Replace($slot, ("`$BootstrapToken = '{0}'" -f $Token))
}
{{WRITE}}
# customData has done its work: the protected copy runs now and after the features restart.
# Azure never deletes CustomData.bin, and it may hold proxy credentials.
$customData = Join-Path (Join-Path $env:SystemDrive 'AzureData') 'CustomData.bin'
if (Test-Path -LiteralPath $customData) {
    Remove-Item -LiteralPath $customData -Force
}
& powershell.exe -NoProfile -ExecutionPolicy Bypass -File $path
exit $LASTEXITCODE
