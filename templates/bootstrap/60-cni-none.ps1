
# ---------------------------------------------------------------------------------------------
# Phase: cni (none: the cluster's own network plugin is expected to configure this node)
# ---------------------------------------------------------------------------------------------
function Invoke-PhaseCni {
    New-Item -ItemType Directory -Force -Path $CniBinDir, $CniConfDir | Out-Null
    return 'no CNI installed (--cni none)'
}

function Start-NodeNetwork {
    return 'no node network services (--cni none)'
}
