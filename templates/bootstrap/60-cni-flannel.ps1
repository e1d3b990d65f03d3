
# ---------------------------------------------------------------------------------------------
# Phase: cni (flannel VXLAN: VNI 4096, UDP 4789, the only values Windows accepts)
# ---------------------------------------------------------------------------------------------
function Invoke-PhaseCni {
    $flannelDir = Join-Path $KubeDir 'flannel'
    New-Item -ItemType Directory -Force -Path $flannelDir, $CniBinDir, $CniConfDir, 'C:\etc\kube-flannel', 'C:\run\flannel' | Out-Null

    $flanneld = Get-Artifact -Name 'flanneld'
    Copy-Item -LiteralPath $flanneld -Destination (Join-Path $flannelDir 'flanneld.exe') -Force

    # win-overlay, host-local (source VIP) and the flannel CNI plugin.
    Expand-Artifact -Path (Get-Artifact -Name 'cni-plugins') -Destination $CniBinDir
    $flannelCni = Join-Path $StateRoot 'flannel-cni'
    Expand-Artifact -Path (Get-Artifact -Name 'flannel-cni') -Destination $flannelCni
    $plugin = Get-ChildItem -Path $flannelCni -Recurse -Filter 'flannel*.exe' | Select-Object -First 1
    if ($null -eq $plugin) {
        throw 'the flannel CNI plugin archive holds no flannel executable'
    }
    Copy-Item -LiteralPath $plugin.FullName -Destination (Join-Path $CniBinDir 'flannel.exe') -Force
    Remove-Item -LiteralPath $flannelCni -Recurse -Force

    $delegate = 'win-overlay'
    if ($WinK8s.Runtime -eq 'containerd') {
        # containerd's HCN-based networking needs sdnoverlay from windows-container-networking.
        Expand-Artifact -Path (Get-Artifact -Name 'windows-cni') -Destination $CniBinDir
        $delegate = 'sdnoverlay'
    }

    $netConf = [ordered]@{
        Network = $WinK8s.ClusterCidr
        Backend = [ordered]@{ Type = 'vxlan'; VNI = $WinK8s.FlannelVni; Port = $WinK8s.FlannelPort }
    }
    Set-Content -LiteralPath 'C:\etc\kube-flannel\net-conf.json' -Value ($netConf | ConvertTo-Json -Depth 5) -Encoding ASCII

    $nodeIp = Get-NodeIPv4
    $cniConf = [ordered]@{
        name         = "flannel.$($WinK8s.FlannelVni)"
        cniVersion   = '0.3.0'
        type         = 'flannel'
        capabilities = [ordered]@{ portMappings = $true; dns = $true }
        delegate     = [ordered]@{
            type           = $delegate
            AdditionalArgs = @(
                [ordered]@{ Name = 'EndpointPolicy'; Value = [ordered]@{ Type = 'OutBoundNAT'; Settings = [ordered]@{ Exceptions = @($WinK8s.ServiceCidr, $WinK8s.ClusterCidr) } } },
                [ordered]@{ Name = 'EndpointPolicy'; Value = [ordered]@{ Type = 'SDNROUTE'; Settings = [ordered]@{ DestinationPrefix = $WinK8s.ServiceCidr; NeedEncap = $true } } },
                [ordered]@{ Name = 'EndpointPolicy'; Value = [ordered]@{ Type = 'ProviderAddress'; Settings = [ordered]@{ ProviderAddress = $nodeIp } } }
            )
        }
    }
    Set-Content -LiteralPath (Join-Path $CniConfDir '10-flannel.conf') -Value ($cniConf | ConvertTo-Json -Depth 10) -Encoding ASCII
    Write-Log "flannel CNI configured (delegate $delegate, node IP $nodeIp)"
    return "flannel VXLAN VNI $($WinK8s.FlannelVni) port $($WinK8s.FlannelPort)"
}

function Get-SourceVip {
    # kube-proxy needs an address from this node's pod subnet for overlay load balancing;
    # host-local allocates (and remembers) one, as for a pod.
    $subnetFile = 'C:\run\flannel\subnet.env'
    $deadline = (Get-Date).AddMinutes(5)
    while (-not (Test-Path -LiteralPath $subnetFile)) {
        if ((Get-Date) -gt $deadline) {
            throw 'flanneld did not write C:\run\flannel\subnet.env within 5 minutes; see C:\var\log\flanneld'
        }
        Start-Sleep -Seconds 3
    }
    $subnet = (Get-Content -LiteralPath $subnetFile | Where-Object { $_ -like 'FLANNEL_SUBNET=*' }) -replace '^FLANNEL_SUBNET=', ''
    $ipam = @{ cniVersion = '0.3.0'; name = "flannel.$($WinK8s.FlannelVni)"; ipam = @{ type = 'host-local'; ranges = @(, @(@{ subnet = $subnet })); dataDir = 'C:/var/lib/cni/networks' } }
    $env:CNI_COMMAND = 'ADD'
    $env:CNI_CONTAINERID = 'win-k8s-kube-proxy-source-vip'
    $env:CNI_NETNS = 'none'
    $env:CNI_IFNAME = 'source-vip'
    $env:CNI_PATH = $CniBinDir
    $result = ($ipam | ConvertTo-Json -Depth 10) | & (Join-Path $CniBinDir 'host-local.exe')
    foreach ($name in @('CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH')) {
        Remove-Item -LiteralPath "Env:$name"
    }
    $parsed = ($result -join '') | ConvertFrom-Json
    $ip = @($parsed.ips)[0].address -replace '/\d+$', ''
    if (-not $ip) {
        throw "host-local returned no address for the kube-proxy source VIP: $result"
    }
    return $ip
}

function Start-NodeNetwork {
    $nodeIp = Get-NodeIPv4
    $flannelArgs = @(
        '--kubeconfig-file=C:\etc\kubernetes\kubelet.conf',
        "--iface=$nodeIp",
        '--ip-masq=1',
        '--kube-subnet-mgr=1',
        '--net-config-path=C:\etc\kube-flannel\net-conf.json'
    )
    Register-SupervisedProcess -Name 'flanneld' -Executable (Join-Path $KubeDir 'flannel\flanneld.exe') -Arguments $flannelArgs -Environment @{ NODE_NAME = $WinK8s.NodeName }

    $sourceVip = Get-SourceVip
    # Creating the HNS overlay network drops the route to the cloud metadata service.
    & route.exe /p add 169.254.169.254 mask 255.255.255.255 0.0.0.0 2>&1 | Out-Null

    $proxyArgs = @($WinK8s.KubeProxyFlags) + @("--source-vip=$sourceVip")
    $binary = Get-ServiceCommandLine -Executable (Join-Path $KubeDir 'kube-proxy.exe') -Arguments $proxyArgs -LogFile (Join-Path $LogRoot 'kube-proxy\kube-proxy.log')
    Register-NodeService -Name 'kube-proxy' -BinaryPath $binary -DependsOn @('kubelet')
    Start-Service -Name 'kube-proxy'
    return "flanneld and kube-proxy running (source VIP $sourceVip)"
}
