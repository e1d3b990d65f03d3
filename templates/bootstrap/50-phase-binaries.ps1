
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

    # kubeadm writes Linux-style paths (/etc/kubernetes, /var/lib/kubelet) that resolve on the
    # system drive; the kubelet's volume plugins expect the pki link below.
    Initialize-NodeDirectories
    $dirs = @(
        (Join-Path $KubeletDir 'etc\kubernetes'),
        (Join-Path $LogRoot 'kubelet'),
        (Join-Path $LogRoot 'kube-proxy')
    )
    New-Item -ItemType Directory -Force -Path $dirs | Out-Null
    $link = Join-Path $KubeletDir 'etc\kubernetes\pki'
    if (-not (Test-Path -LiteralPath $link)) {
        New-Item -ItemType SymbolicLink -Path $link -Value (Join-Path $KubernetesDir 'pki') | Out-Null
    }
    $version = Invoke-NativeCommand -FilePath (Join-Path $KubeDir 'kubelet.exe') -ArgumentList @('--version')
    if ($version.ExitCode -ne 0) {
        throw ('kubelet.exe --version failed (exit {0}): {1}' -f $version.ExitCode, ($version.Output -join ' '))
    }
    return ($version.Output -join ' ')
}
