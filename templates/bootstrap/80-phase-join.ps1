
# ---------------------------------------------------------------------------------------------
# Phase: join (kubeadm join with token discovery pinned to the cluster CA's public key)
# ---------------------------------------------------------------------------------------------
function Invoke-PhaseJoin {
    if (Test-Path -LiteralPath 'C:\etc\kubernetes\kubelet.conf') {
        return 'already joined (C:\etc\kubernetes\kubelet.conf exists)'
    }
    # The token goes into a file readable only by SYSTEM and Administrators, never onto a command line.
    $joinConfig = Join-Path $StateRoot 'join.yaml'
    $yaml = @(
        "apiVersion: $($WinK8s.KubeadmApiVersion)"
        'kind: JoinConfiguration'
        'discovery:'
        '  bootstrapToken:'
        "    apiServerEndpoint: '$($WinK8s.ApiServer)'"
        "    token: '$BootstrapToken'"
        '    caCertHashes:'
        "    - '$($WinK8s.CaCertHash)'"
        'nodeRegistration:'
        "  name: '$($WinK8s.NodeName)'"
        "  criSocket: '$($WinK8s.CriSocket)'"
    )
    New-Item -ItemType File -Force -Path $joinConfig | Out-Null
    Protect-Path -Path $joinConfig
    Set-Content -LiteralPath $joinConfig -Value ($yaml -join "`n") -Encoding ASCII
    try {
        $output = & (Join-Path $KubeDir 'kubeadm.exe') join --config $joinConfig 2>&1
        $code = $LASTEXITCODE
        foreach ($line in $output) {
            Write-Log ('kubeadm: {0}' -f $line)
        }
        if ($code -ne 0) {
            throw "kubeadm join failed (exit $code); see the kubeadm lines above in $LogFile"
        }
    }
    finally {
        Remove-Item -LiteralPath $joinConfig -Force -ErrorAction SilentlyContinue
    }

    $deadline = (Get-Date).AddMinutes(5)
    while ((Get-Service -Name kubelet).Status -ne 'Running' -or -not (Test-Path -LiteralPath 'C:\etc\kubernetes\kubelet.conf')) {
        if ((Get-Date) -gt $deadline) {
            throw 'kubelet is not running 5 minutes after the join; see C:\var\log\kubelet\kubelet.log'
        }
        if ((Get-Service -Name kubelet).Status -eq 'Stopped') {
            Start-Service -Name kubelet
        }
        Start-Sleep -Seconds 3
    }
    return "joined $($WinK8s.ApiServer) as $($WinK8s.NodeName)"
}
