# Native commands with stderr redirected while $ErrorActionPreference is Stop.
$ErrorActionPreference = 'Stop'
& kubeadm.exe join --config C:\k\join.yaml 2>&1 # expect: ps51-native-stderr-redirect
$routes = route.exe print 2>$null # expect: ps51-native-stderr-redirect
icacls C:\k *>&1 | Out-Null # expect: ps51-native-stderr-redirect
$kubelet = 'C:\k\kubelet.exe'
& $kubelet --version 2>&1 # expect: ps51-native-stderr-redirect
function Invoke-Ctr {
    # No assignment here: the script's Stop applies.
    & (Join-Path $env:ProgramFiles 'containerd\ctr.exe') version 2>&1 # expect: ps51-native-stderr-redirect
}
function Invoke-Later {
    $ErrorActionPreference = 'Continue'
    $ErrorActionPreference = 'Stop'
    crictl ps *>> $null # expect: ps51-native-stderr-redirect
}
