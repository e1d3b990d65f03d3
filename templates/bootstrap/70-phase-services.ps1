
# ---------------------------------------------------------------------------------------------
# Phase: services (kubelet as a Windows service; firewall; Defender exclusions)
# ---------------------------------------------------------------------------------------------
function Invoke-PhaseServices {
    $runtimeService = 'containerd'
    if ($WinK8s.Runtime -eq 'docker') {
        $runtimeService = 'docker'
    }
    # kubeadm join writes the kubelet configuration and then starts this service itself.
    $binary = Get-ServiceCommandLine -Executable (Join-Path $KubeDir 'kubelet.exe') -Arguments $WinK8s.KubeletFlags -LogFile (Join-Path $LogRoot 'kubelet\kubelet.log')
    Register-NodeService -Name 'kubelet' -BinaryPath $binary -DependsOn @($runtimeService)

    Add-FirewallRule -Name 'win-k8s-kubelet' -Protocol TCP -Port 10250
    Add-FirewallRule -Name 'win-k8s-kube-proxy-health' -Protocol TCP -Port 10256
    if ($WinK8s.Cni -ne 'none') {
        Add-FirewallRule -Name 'win-k8s-vxlan' -Protocol UDP -Port 4789
    }

    if (Get-Command -Name Add-MpPreference -ErrorAction SilentlyContinue) {
        $paths = @($KubeDir, $CniBinDir, 'C:\var\lib\kubelet', 'C:\ProgramData\containerd', (Join-Path $env:ProgramFiles 'containerd'), (Join-Path $env:ProgramFiles 'docker'), 'C:\ProgramData\docker')
        $processes = @('kubelet.exe', 'kube-proxy.exe', 'kube-log-runner.exe', 'containerd.exe', 'containerd-shim-runhcs-v1.exe', 'dockerd.exe', 'flanneld.exe', 'cri-dockerd.exe')
        try {
            Add-MpPreference -ExclusionPath $paths -ExclusionProcess $processes
            Write-Log 'Windows Defender exclusions added for the runtime and Kubernetes binaries and data'
        }
        catch {
            Write-Log "WARNING: could not add Defender exclusions: $($_.Exception.Message)"
        }
    }
    return 'kubelet registered; firewall and Defender configured'
}
