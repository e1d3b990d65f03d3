
# ---------------------------------------------------------------------------------------------
# Phase: cni (Calico: the Tigera operator installs calico-node-windows and kube-proxy as
# HostProcess DaemonSets; the node only needs the CNI folders and open VXLAN port.)
# ---------------------------------------------------------------------------------------------
function Invoke-PhaseCni {
    New-Item -ItemType Directory -Force -Path $CniBinDir, $CniConfDir, (Join-Path $LogRoot 'calico\cni') | Out-Null
    return 'prepared for the Tigera operator (windowsDataplane HNS)'
}

function Start-NodeNetwork {
    return 'Calico and kube-proxy arrive as HostProcess DaemonSets from the cluster'
}
