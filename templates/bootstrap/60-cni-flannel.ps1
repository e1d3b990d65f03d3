
# ---------------------------------------------------------------------------------------------
# Phase: cni (flannel VXLAN: VNI 4096, UDP 4789, the only values Windows accepts)
# ---------------------------------------------------------------------------------------------
$FlannelConfDir = Join-Path $SystemDrive 'etc\kube-flannel'
$FlannelNetConf = Join-Path $FlannelConfDir 'net-conf.json'
$SourceVipCache = Join-Path $StateDir 'source-vip.json'

function Invoke-PhaseCni {
    $flannelDir = Join-Path $KubeDir 'flannel'
    New-Item -ItemType Directory -Force -Path $flannelDir, $CniBinDir, $CniConfDir, $FlannelConfDir, $FlannelRunDir | Out-Null

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

    if ($WinK8s.Runtime -eq 'containerd') {
        # containerd networks through HCN: its overlay plugin is sdnoverlay.
        Expand-Artifact -Path (Get-Artifact -Name 'windows-cni') -Destination $CniBinDir
    }
    Write-Utf8File -Path $FlannelNetConf -Content $WinK8s.FlannelNetConf
    Write-Utf8File -Path (Join-Path $CniConfDir '10-flannel.conf') -Content (Expand-NodeFile -Text $WinK8s.FlannelCniConf)
    Write-Log "flannel CNI configured in $CniConfDir"
    return "flannel VXLAN VNI $($WinK8s.FlannelVni) port $($WinK8s.FlannelPort)"
}

function ConvertTo-NetworkCidr {
    param([Parameter(Mandatory)] [string]$Cidr)
    # flannel writes FLANNEL_SUBNET as the subnet's first address (10.244.1.1/24); host-local
    # refuses a range with host bits set, so keep only the network part (10.244.1.0/24).
    $parts = $Cidr.Trim().Split('/')
    if ($parts.Count -ne 2) {
        throw "not an IPv4 CIDR: $Cidr"
    }
    $bits = [int]$parts[1]
    $bytes = ([Net.IPAddress]::Parse($parts[0])).GetAddressBytes()
    if ($bytes.Count -ne 4 -or $bits -lt 0 -or $bits -gt 32) {
        throw "not an IPv4 CIDR: $Cidr"
    }
    for ($i = 0; $i -lt 4; $i++) {
        $keep = [Math]::Max(0, [Math]::Min(8, $bits - (8 * $i)))
        $mask = (0xFF -shl (8 - $keep)) -band 0xFF
        $bytes[$i] = [byte]($bytes[$i] -band $mask)
    }
    return ('{0}/{1}' -f ([Net.IPAddress]::new($bytes)).ToString(), $bits)
}

function Get-SourceVip {
    # kube-proxy needs an address from this node's pod subnet for overlay load balancing;
    # host-local allocates it as for a pod. The answer is cached: host-local refuses a second
    # allocation for the same container id, so a re-run must reuse the first one.
    if (Test-Path -LiteralPath $SourceVipCache) {
        $cached = Get-Content -Raw -LiteralPath $SourceVipCache | ConvertFrom-Json
        Write-Log "source VIP $($cached.ip) (allocated by an earlier run)"
        return $cached.ip
    }
    $subnetFile = Join-Path $FlannelRunDir 'subnet.env'
    $deadline = (Get-Date).AddMinutes(5)
    while (-not (Test-Path -LiteralPath $subnetFile)) {
        if ((Get-Date) -gt $deadline) {
            throw ('flanneld did not write {0} within 5 minutes; see {1}' -f $subnetFile, (Join-Path $LogRoot 'flanneld'))
        }
        Start-Sleep -Seconds 3
    }
    $line = @(Get-Content -LiteralPath $subnetFile | Where-Object { $_ -like 'FLANNEL_SUBNET=*' }) | Select-Object -First 1
    if (-not $line) {
        throw "$subnetFile has no FLANNEL_SUBNET"
    }
    $subnet = ConvertTo-NetworkCidr -Cidr ($line -replace '^FLANNEL_SUBNET=', '')
    $ipam = [ordered]@{
        cniVersion = '0.3.0'
        name       = "flannel.$($WinK8s.FlannelVni)"
        ipam       = [ordered]@{ type = 'host-local'; ranges = @(, @([ordered]@{ subnet = $subnet })); dataDir = (Join-Path $SystemDrive 'var\lib\cni\networks') }
    }
    $env:CNI_COMMAND = 'ADD'
    $env:CNI_CONTAINERID = 'win-k8s-kube-proxy-source-vip'
    $env:CNI_NETNS = 'none'
    $env:CNI_IFNAME = 'source-vip'
    $env:CNI_PATH = $CniBinDir
    try {
        $result = Invoke-NativeCommand -FilePath (Join-Path $CniBinDir 'host-local.exe') -InputText ($ipam | ConvertTo-Json -Depth 10)
    }
    finally {
        foreach ($name in @('CNI_COMMAND', 'CNI_CONTAINERID', 'CNI_NETNS', 'CNI_IFNAME', 'CNI_PATH')) {
            Remove-Item -LiteralPath "Env:$name" -ErrorAction SilentlyContinue
        }
    }
    $text = $result.Output -join "`n"
    if ($result.ExitCode -ne 0) {
        throw "host-local could not allocate the kube-proxy source VIP in $subnet (exit $($result.ExitCode)): $text"
    }
    $parsed = $text | ConvertFrom-Json
    $ip = $null
    if ($parsed.PSObject.Properties['ips'] -and @($parsed.ips).Count -gt 0) {
        $ip = @($parsed.ips)[0].address -replace '/\d+$', ''
    }
    if (-not $ip) {
        throw "host-local returned no address for the kube-proxy source VIP: $text"
    }
    Write-Utf8File -Path $SourceVipCache -Content (([ordered]@{ ip = $ip; subnet = $subnet }) | ConvertTo-Json)
    return $ip
}

function Start-NodeNetwork {
    $nodeIp = Get-NodeIPv4
    $flannelArgs = @(
        "--kubeconfig-file=$KubeletKubeconfig",
        "--iface=$nodeIp",
        '--ip-masq=1',
        '--kube-subnet-mgr=1',
        "--net-config-path=$FlannelNetConf"
    )
    Register-SupervisedProcess -Name 'flanneld' -Executable (Join-Path $KubeDir 'flannel\flanneld.exe') -Arguments $flannelArgs -Environment @{ NODE_NAME = $WinK8s.NodeName }

    $sourceVip = Get-SourceVip
    # Creating the HNS overlay network drops the route to the cloud metadata service.
    $route = Invoke-NativeCommand -FilePath 'route.exe' -ArgumentList @('/p', 'add', '169.254.169.254', 'mask', '255.255.255.255', '0.0.0.0')
    if ($route.ExitCode -ne 0 -and (($route.Output -join ' ') -notmatch 'already exists')) {
        Write-Log ('WARNING: could not add the metadata route (exit {0}): {1}' -f $route.ExitCode, ($route.Output -join ' '))
    }

    $proxyArgs = @($WinK8s.KubeProxyFlags) + @("--source-vip=$sourceVip")
    $binary = Get-ServiceCommandLine -Executable (Join-Path $KubeDir 'kube-proxy.exe') -Arguments $proxyArgs -LogFile (Join-Path $LogRoot 'kube-proxy\kube-proxy.log')
    Register-NodeService -Name 'kube-proxy' -BinaryPath $binary -DependsOn @('kubelet')
    Start-Service -Name 'kube-proxy'
    return "flanneld and kube-proxy running (source VIP $sourceVip)"
}
