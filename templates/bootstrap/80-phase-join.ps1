
# ---------------------------------------------------------------------------------------------
# Phase: join (kubeadm join with token discovery pinned to the cluster CA's public key)
# ---------------------------------------------------------------------------------------------
$JoinConfig = Join-Path $StateRoot 'join.yaml'
$JoinAttempted = Join-Path $StateDir 'join.attempted'

function Write-NativeOutput {
    param([string]$Prefix, $Result)
    foreach ($line in $Result.Output) {
        Write-Log ('{0}: {1}' -f $Prefix, $line)
    }
}

function Invoke-PhaseJoin {
    if (Test-Path -LiteralPath $KubeletKubeconfig) {
        return "already joined ($KubeletKubeconfig exists)"
    }
    $kubeadm = Join-Path $KubeDir 'kubeadm.exe'
    if (Test-Path -LiteralPath $JoinAttempted) {
        # An earlier join stopped half way; the files it left (the cluster CA, a bootstrap
        # kubeconfig) make kubeadm's preflight refuse the next one.
        Write-Log 'an earlier kubeadm join did not finish: kubeadm reset -f first'
        $reset = Invoke-NativeCommand -FilePath $kubeadm -ArgumentList @('reset', '-f', "--cri-socket=$($WinK8s.CriSocket)")
        Write-NativeOutput -Prefix 'kubeadm reset' -Result $reset
        if ($reset.ExitCode -ne 0) {
            throw "kubeadm reset failed (exit $($reset.ExitCode)); see the kubeadm lines in $LogFile"
        }
    }
    # The token goes into a file readable only by SYSTEM and Administrators (locked before it is
    # written), never onto a command line.
    New-ProtectedFile -Path $JoinConfig
    Write-Utf8File -Path $JoinConfig -Content $WinK8s.JoinConfiguration.Replace('__WIN_K8S_BOOTSTRAP_TOKEN__', $BootstrapToken)
    Set-Content -LiteralPath $JoinAttempted -Value (Get-Date -Format o) -Encoding ASCII
    try {
        # kubeadm writes preflight warnings and klog lines to stderr: only its exit code says
        # whether the join failed.
        $join = Invoke-NativeCommand -FilePath $kubeadm -ArgumentList @('join', '--config', $JoinConfig)
        Write-NativeOutput -Prefix 'kubeadm' -Result $join
        if ($join.ExitCode -ne 0) {
            throw "kubeadm join failed (exit $($join.ExitCode)); see the kubeadm lines above in $LogFile"
        }
    }
    finally {
        Remove-Item -LiteralPath $JoinConfig -Force -ErrorAction SilentlyContinue
    }

    $deadline = (Get-Date).AddMinutes(5)
    while ((Get-Service -Name kubelet).Status -ne 'Running' -or -not (Test-Path -LiteralPath $KubeletKubeconfig)) {
        if ((Get-Date) -gt $deadline) {
            throw ('kubelet is not running 5 minutes after the join; see {0}' -f (Join-Path $LogRoot 'kubelet\kubelet.log'))
        }
        if ((Get-Service -Name kubelet).Status -eq 'Stopped') {
            Start-Service -Name kubelet
        }
        Start-Sleep -Seconds 3
    }
    Remove-Item -LiteralPath $JoinAttempted -Force -ErrorAction SilentlyContinue
    return "joined $($WinK8s.ApiServer) as $($WinK8s.NodeName)"
}
