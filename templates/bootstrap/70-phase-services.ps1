
# ---------------------------------------------------------------------------------------------
# Phase: services (kubelet as a Windows service; firewall; Defender exclusions)
# ---------------------------------------------------------------------------------------------
function Invoke-PhaseServices {
    $runtimeService = 'containerd'
    if ($WinK8s.Runtime -eq 'docker') {
        $runtimeService = 'docker'
    }
    # kubeadm join writes the kubelet configuration and then starts this service itself.
    # The node's address is known only here: without --node-ip the kubelet may pick another
    # adapter's (Docker's vEthernet (nat), a second NIC).
    $flags = @($WinK8s.KubeletFlags) + @("--node-ip=$(Get-NodeIPv4)")
    $binary = Get-ServiceCommandLine -Executable (Join-Path $KubeDir 'kubelet.exe') -Arguments $flags -LogFile (Join-Path $LogRoot 'kubelet\kubelet.log')
    Register-NodeService -Name 'kubelet' -BinaryPath $binary -DependsOn @($runtimeService)
    if (Test-Path -LiteralPath $KubeletKubeconfig) {
        # Registered again on a node that has joined (a re-run): nothing else would start it.
        Start-Service -Name 'kubelet'
    }

    Add-FirewallRule -Name 'win-k8s-kubelet' -Protocol TCP -Port 10250
    Add-FirewallRule -Name 'win-k8s-kube-proxy-health' -Protocol TCP -Port 10256
    if ($WinK8s.Cni -ne 'none') {
        Add-FirewallRule -Name 'win-k8s-vxlan' -Protocol UDP -Port 4789
    }

    if (Get-Command -Name Add-MpPreference -ErrorAction SilentlyContinue) {
        $paths = @($KubeDir, $CniBinDir, $KubeletDir, (Join-Path $env:ProgramData 'containerd'), (Join-Path $env:ProgramFiles 'containerd'), (Join-Path $env:ProgramFiles 'docker'), (Join-Path $env:ProgramData 'docker'))
        $processes = @('kubelet.exe', 'kube-proxy.exe', 'kube-log-runner.exe', 'containerd.exe', 'containerd-shim-runhcs-v1.exe', 'dockerd.exe', 'flanneld.exe', 'cri-dockerd.exe')
        try {
            Add-MpPreference -ExclusionPath $paths -ExclusionProcess $processes
            Write-Log 'Defender exclusions added'
        }
        catch {
            Write-Log "WARNING: could not add Defender exclusions: $($_.Exception.Message)"
        }
    }
    return 'kubelet registered; firewall and Defender configured'
}
