
# ---------------------------------------------------------------------------------------------
# Phase: binaries (kubelet, kubeadm, kube-proxy, kube-log-runner), each SHA-256 verified.
# ---------------------------------------------------------------------------------------------
function Invoke-PhaseBinaries {
    New-Item -ItemType Directory -Force -Path $KubeDir | Out-Null
    foreach ($name in @('kubelet', 'kubeadm', 'kube-proxy', 'kube-log-runner')) {
        $present = $false
        foreach ($candidate in $Artifacts) {
            if ($candidate.Name -eq $name) {
                $present = $true
            }
        }
        if (-not $present) {
            continue
        }
        $file = Get-Artifact -Name $name
        Copy-Item -LiteralPath $file -Destination (Join-Path $KubeDir "$name.exe") -Force
    }
    Add-MachinePath -Directory $KubeDir

    # kubeadm writes Linux-style paths (/etc/kubernetes, /var/lib/kubelet) that resolve to C:\.
    $dirs = @(
        'C:\etc\kubernetes\pki',
        'C:\etc\kubernetes\manifests',
        'C:\var\lib\kubelet\etc\kubernetes',
        'C:\var\lib\kubelet\pki',
        (Join-Path $LogRoot 'kubelet'),
        (Join-Path $LogRoot 'kube-proxy')
    )
    New-Item -ItemType Directory -Force -Path $dirs | Out-Null
    $link = 'C:\var\lib\kubelet\etc\kubernetes\pki'
    if (-not (Test-Path -LiteralPath $link)) {
        New-Item -ItemType SymbolicLink -Path $link -Value 'C:\etc\kubernetes\pki' | Out-Null
    }
    $version = (& (Join-Path $KubeDir 'kubelet.exe') --version) -join ' '
    return $version
}
