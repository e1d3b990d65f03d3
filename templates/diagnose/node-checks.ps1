<#
  win-k8s diagnose: on-node facts for one Windows node.

  Runs in Windows PowerShell 5.1 as SYSTEM or Administrator: in a HostProcess pod, or through
  the cloud's run-command. It changes nothing on the node. It prints exactly one JSON document
  between the lines WIN-K8S-NODE-REPORT-BEGIN and WIN-K8S-NODE-REPORT-END so the CLI can find it
  among whatever else the transport adds to the output. Each section catches its own errors and
  records them in the document: one broken cmdlet must not cost the whole report.

  The verdicts are made by the CLI (src/diagnose/node-host-checks.ts), not here, so a node
  running an older copy of this script is still judged by the current rules.
#>
param(
    # The HNS network the CNI creates: flannel vxlan "flannel.<VNI>" (flannel.4096 by default),
    # flannel host-gw "cbr0" (or, for either, the net-conf's Backend.Name), Calico "Calico".
    [string]$NetworkName = '',
    # Overlay or L2Bridge; empty accepts either.
    [string]$NetworkType = '',
    [string]$DnsServiceIp = '',
    [string]$PodCidr = '',
    # When set, the clock is compared with this server's HTTP Date header (see Get-ClockSection).
    [string]$ApiServerUrl = '',
    # The CRI endpoint crictl asks; empty: the kubelet's own (see Get-CriEndpoint).
    [string]$CriEndpoint = '',
    # How long one crictl command may take before it is stopped.
    [int]$CrictlTimeoutSeconds = 30,
    [int]$LogTailLines = 2000,
    [int]$MaxLinesPerSignature = 3
)

$ProgressPreference = 'SilentlyContinue'
$SchemaVersion = 1

function Get-ErrorText {
    param($ErrorRecord)
    $text = $ErrorRecord.Exception.Message
    if ($ErrorRecord.InvocationInfo -and $ErrorRecord.InvocationInfo.ScriptLineNumber) {
        $text = '{0} (line {1})' -f $text, $ErrorRecord.InvocationInfo.ScriptLineNumber
    }
    return $text
}

function Invoke-Section {
    param(
        [Parameter(Mandatory = $true)] [string]$Name,
        [Parameter(Mandatory = $true)] [scriptblock]$Body
    )
    # Stop turns the non-terminating errors of cmdlets into exceptions the catch below records.
    $ErrorActionPreference = 'Stop'
    try {
        $result = & $Body
        if ($null -eq $result) {
            return [ordered]@{ error = "section $Name produced nothing" }
        }
        return $result
    }
    catch {
        return [ordered]@{ error = (Get-ErrorText $_) }
    }
}

function Limit-Text {
    param([AllowNull()] [string]$Text, [int]$Max = 400)
    if ($null -eq $Text) {
        return $null
    }
    $t = $Text.Trim()
    if ($t.Length -gt $Max) {
        return $t.Substring(0, $Max) + '...'
    }
    return $t
}

# ---------------------------------------------------------------------------------------------
# OS build and patch level
# ---------------------------------------------------------------------------------------------
function Get-OsSection {
    $cv = Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion'
    $ubr = $null
    if ($cv.PSObject.Properties['UBR']) {
        $ubr = [int]$cv.UBR
    }
    $display = $null
    if ($cv.PSObject.Properties['DisplayVersion']) {
        $display = [string]$cv.DisplayVersion
    }
    elseif ($cv.PSObject.Properties['ReleaseId']) {
        $display = [string]$cv.ReleaseId
    }
    return [ordered]@{
        productName      = [string]$cv.ProductName
        editionId        = [string]$cv.EditionID
        installationType = [string]$cv.InstallationType
        build            = [int]$cv.CurrentBuildNumber
        ubr              = $ubr
        displayVersion   = $display
    }
}

# ---------------------------------------------------------------------------------------------
# Services and processes. flanneld (and kube-proxy in a HostProcess DaemonSet) run as plain
# processes, not services, so both views are reported.
# ---------------------------------------------------------------------------------------------
function Get-ServicesSection {
    $items = @()
    foreach ($name in @('containerd', 'docker', 'kubelet', 'kube-proxy', 'kubeproxy', 'flanneld', 'hns', 'WinDefend')) {
        $svc = Get-Service -Name $name -ErrorAction SilentlyContinue
        if ($null -eq $svc) {
            $items += [ordered]@{ name = $name; present = $false; status = $null; startType = $null }
            continue
        }
        $startType = $null
        if ($svc.PSObject.Properties['StartType']) {
            $startType = $svc.StartType.ToString()
        }
        $items += [ordered]@{ name = $name; present = $true; status = $svc.Status.ToString(); startType = $startType }
    }
    $processes = @()
    foreach ($name in @('containerd', 'dockerd', 'kubelet', 'kube-proxy', 'flanneld', 'calico-node')) {
        $count = @(Get-Process -Name $name -ErrorAction SilentlyContinue).Count
        $processes += [ordered]@{ name = $name; running = [int]$count }
    }
    return [ordered]@{ items = $items; processes = $processes }
}

# ---------------------------------------------------------------------------------------------
# Health endpoints. HttpWebRequest, unlike Invoke-WebRequest in 5.1, still hands over the status
# and body of a non-2xx answer (kube-proxy says 503 with a JSON reason when it is not synced).
# ---------------------------------------------------------------------------------------------
function Get-HttpResult {
    param([Parameter(Mandatory = $true)] [string]$Url)
    $out = [ordered]@{ url = $Url; statusCode = $null; body = $null; error = $null }
    $response = $null
    try {
        $request = [System.Net.HttpWebRequest]::Create($Url)
        $request.Timeout = 5000
        $request.ReadWriteTimeout = 5000
        $request.Proxy = $null
        try {
            $response = $request.GetResponse()
        }
        catch [System.Net.WebException] {
            $response = $_.Exception.Response
            if ($null -eq $response) {
                throw
            }
        }
        $out.statusCode = [int]$response.StatusCode
        $reader = New-Object System.IO.StreamReader($response.GetResponseStream())
        $out.body = Limit-Text $reader.ReadToEnd() 300
        $reader.Close()
    }
    catch {
        $out.error = $_.Exception.Message
    }
    finally {
        if ($null -ne $response) {
            $response.Close()
        }
    }
    return $out
}

function Get-HealthSection {
    return [ordered]@{
        kubelet   = (Get-HttpResult -Url 'http://127.0.0.1:10248/healthz')
        kubeProxy = (Get-HttpResult -Url 'http://127.0.0.1:10256/healthz')
    }
}

# ---------------------------------------------------------------------------------------------
# HNS. The HNS cmdlets (HostNetworkingService module, or hns.psm1 copied to C:\k by older
# guides) wrap the v1 JSON API of vmcompute.dll; without them the same API is called directly,
# so both paths yield the same objects.
# ---------------------------------------------------------------------------------------------
function Invoke-HnsGet {
    param([Parameter(Mandatory = $true)] [string]$Path)
    $api = 'WinK8sDiag.Hns' -as [type]
    if (-not $api) {
        $signature = @'
[DllImport("vmcompute.dll")]
public static extern void HNSCall([MarshalAs(UnmanagedType.LPWStr)] string method, [MarshalAs(UnmanagedType.LPWStr)] string path, [MarshalAs(UnmanagedType.LPWStr)] string request, [MarshalAs(UnmanagedType.LPWStr)] out string response);
'@
        $api = Add-Type -MemberDefinition $signature -Namespace WinK8sDiag -Name Hns -PassThru
    }
    $response = ''
    $api::HNSCall('GET', $Path, '', [ref]$response)
    if (-not $response) {
        throw "HNS returned nothing for GET $Path"
    }
    $parsed = $response | ConvertFrom-Json
    if ($parsed.PSObject.Properties['Success'] -and -not $parsed.Success) {
        throw ('HNS GET {0} failed: {1}' -f $Path, $parsed.Error)
    }
    return @($parsed.Output)
}

function Get-HnsObjects {
    param([Parameter(Mandatory = $true)] [ValidateSet('networks', 'endpoints', 'policylists')] [string]$Kind)
    $cmdlet = @{ networks = 'Get-HnsNetwork'; endpoints = 'Get-HnsEndpoint'; policylists = 'Get-HnsPolicyList' }[$Kind]
    if (Get-Command -Name $cmdlet -ErrorAction SilentlyContinue) {
        return @(& $cmdlet)
    }
    return @(Invoke-HnsGet -Path "/$Kind")
}

function Get-Prop {
    param($Object, [Parameter(Mandatory = $true)] [string]$Name)
    if ($null -eq $Object) {
        return $null
    }
    $p = $Object.PSObject.Properties[$Name]
    if ($null -eq $p) {
        return $null
    }
    return $p.Value
}

function Get-HnsSection {
    if (-not (Get-Command -Name 'Get-HnsNetwork' -ErrorAction SilentlyContinue)) {
        Import-Module HostNetworkingService -ErrorAction SilentlyContinue
    }
    if (-not (Get-Command -Name 'Get-HnsNetwork' -ErrorAction SilentlyContinue)) {
        foreach ($candidate in @((Join-Path $env:SystemDrive 'k\hns.psm1'), (Join-Path $env:SystemDrive 'k\debug\hns.psm1'))) {
            if (Test-Path -LiteralPath $candidate) {
                Import-Module $candidate -DisableNameChecking -ErrorAction SilentlyContinue
                break
            }
        }
    }
    $source = 'vmcompute'
    if (Get-Command -Name 'Get-HnsNetwork' -ErrorAction SilentlyContinue) {
        $source = 'cmdlets'
    }
    $section = [ordered]@{ source = $source; networks = @(); endpoints = @(); loadBalancers = @() }

    try {
        foreach ($n in (Get-HnsObjects -Kind networks)) {
            $subnets = @()
            foreach ($s in @(Get-Prop $n 'Subnets')) {
                if ($null -ne $s) {
                    $subnets += [ordered]@{ addressPrefix = [string](Get-Prop $s 'AddressPrefix'); gatewayAddress = [string](Get-Prop $s 'GatewayAddress') }
                }
            }
            $section.networks += [ordered]@{
                id           = [string](Get-Prop $n 'ID')
                name         = [string](Get-Prop $n 'Name')
                type         = [string](Get-Prop $n 'Type')
                managementIp = [string](Get-Prop $n 'ManagementIP')
                subnets      = $subnets
            }
        }
    }
    catch {
        $section.networksError = Get-ErrorText $_
    }

    try {
        foreach ($e in (Get-HnsObjects -Kind endpoints)) {
            $state = Get-Prop $e 'State'
            if ($null -ne $state) {
                $state = [int]$state
            }
            $section.endpoints += [ordered]@{
                id                 = [string](Get-Prop $e 'ID')
                name               = [string](Get-Prop $e 'Name')
                ipAddress          = [string](Get-Prop $e 'IPAddress')
                state              = $state
                virtualNetworkName = [string](Get-Prop $e 'VirtualNetworkName')
                isRemote           = ((Get-Prop $e 'IsRemoteEndpoint') -eq $true)
            }
        }
    }
    catch {
        $section.endpointsError = Get-ErrorText $_
    }

    try {
        foreach ($list in (Get-HnsObjects -Kind policylists)) {
            $backends = @(Get-Prop $list 'References' | Where-Object { $_ }).Count
            foreach ($p in @(Get-Prop $list 'Policies')) {
                if ($null -eq $p -or (Get-Prop $p 'Type') -ne 'ELB') {
                    continue
                }
                $vips = @()
                foreach ($v in @(Get-Prop $p 'VIPs')) {
                    if ($v) {
                        $vips += [string]$v
                    }
                }
                $state = Get-Prop $list 'State'
                if ($null -ne $state) {
                    $state = [int]$state
                }
                $section.loadBalancers += [ordered]@{
                    id             = [string](Get-Prop $list 'ID')
                    state          = $state
                    vips           = $vips
                    protocol       = [int](Get-Prop $p 'Protocol')
                    internalPort   = [int](Get-Prop $p 'InternalPort')
                    externalPort   = [int](Get-Prop $p 'ExternalPort')
                    isDsr          = ((Get-Prop $p 'IsDSR') -eq $true)
                    localRoutedVip = ((Get-Prop $p 'LocalRoutedVip') -eq $true)
                    backends       = [int]$backends
                }
            }
        }
    }
    catch {
        $section.loadBalancersError = Get-ErrorText $_
    }
    return $section
}

# ---------------------------------------------------------------------------------------------
# Ephemeral (dynamic) TCP ports: the range, the connections holding a port in it, and the
# ports of it reserved by excluded ranges (HNS reserves SNAT port pools this way).
# ---------------------------------------------------------------------------------------------
function Get-EphemeralPortsSection {
    # netsh's labels are localised; the numbers come in a fixed order.
    $numbers = @()
    foreach ($line in @(& netsh.exe int ipv4 show dynamicport tcp)) {
        foreach ($m in [regex]::Matches([string]$line, '\d+')) {
            $numbers += [int]$m.Value
        }
    }
    if ($numbers.Count -lt 2) {
        throw ('cannot read the dynamic port range from netsh: {0}' -f ((@(& netsh.exe int ipv4 show dynamicport tcp) -join ' ').Trim()))
    }
    $start = $numbers[0]
    $count = $numbers[1]
    $end = $start + $count - 1

    $excluded = 0
    foreach ($line in @(& netsh.exe int ipv4 show excludedportrange protocol=tcp)) {
        $m = [regex]::Match([string]$line, '^\s*(\d+)\s+(\d+)')
        if ($m.Success) {
            $lo = [Math]::Max([int]$m.Groups[1].Value, $start)
            $hi = [Math]::Min([int]$m.Groups[2].Value, $end)
            if ($hi -ge $lo) {
                $excluded += ($hi - $lo + 1)
            }
        }
    }

    $inUse = @(Get-NetTCPConnection -ErrorAction SilentlyContinue | Where-Object { $_.LocalPort -ge $start -and $_.LocalPort -le $end } | Select-Object -ExpandProperty LocalPort -Unique).Count
    return [ordered]@{ protocol = 'tcp'; start = [int]$start; count = [int]$count; inUse = [int]$inUse; excluded = [int]$excluded }
}

# ---------------------------------------------------------------------------------------------
# Firewall: per profile on or off, and the enabled inbound rules naming each port the cluster
# needs explicitly (rules open to every port are program-scoped in practice and not counted).
# ---------------------------------------------------------------------------------------------
function Test-PortInFilter {
    param($LocalPort, [int]$Port)
    foreach ($entry in @($LocalPort)) {
        $text = [string]$entry
        if ($text -eq [string]$Port) {
            return $true
        }
        $m = [regex]::Match($text, '^(\d+)-(\d+)$')
        if ($m.Success -and [int]$m.Groups[1].Value -le $Port -and [int]$m.Groups[2].Value -ge $Port) {
            return $true
        }
    }
    return $false
}

function Get-FirewallSection {
    $profiles = @()
    # ActiveStore: the rules and profile states in force, Group Policy ones included.
    foreach ($p in @(Get-NetFirewallProfile -PolicyStore ActiveStore)) {
        $profiles += [ordered]@{ name = [string]$p.Name; enabled = ([string]$p.Enabled -eq 'True') }
    }
    $wanted = @(
        [ordered]@{ port = 10250; protocol = 'TCP' },
        [ordered]@{ port = 10256; protocol = 'TCP' },
        [ordered]@{ port = 4789; protocol = 'UDP' }
    )
    $filters = @(Get-NetFirewallPortFilter -All -PolicyStore ActiveStore | Where-Object { $_.Protocol -eq 'TCP' -or $_.Protocol -eq 'UDP' })
    $ports = @()
    foreach ($w in $wanted) {
        $allow = @()
        $block = @()
        foreach ($f in $filters) {
            if ($f.Protocol -ne $w.protocol -or -not (Test-PortInFilter -LocalPort $f.LocalPort -Port $w.port)) {
                continue
            }
            $rule = $f | Get-NetFirewallRule -ErrorAction SilentlyContinue
            if ($null -eq $rule -or [string]$rule.Enabled -ne 'True' -or [string]$rule.Direction -ne 'Inbound') {
                continue
            }
            if ([string]$rule.Action -eq 'Allow') {
                $allow += [string]$rule.DisplayName
            }
            elseif ([string]$rule.Action -eq 'Block') {
                $block += [string]$rule.DisplayName
            }
        }
        $ports += [ordered]@{ port = $w.port; protocol = $w.protocol; allowRules = $allow; blockRules = $block }
    }
    return [ordered]@{ profiles = $profiles; ports = $ports }
}

# ---------------------------------------------------------------------------------------------
# Defender: real-time scanning of image layers slows pulls and sandbox creation; exclusions are
# what our bootstrap (and AKS) add.
# ---------------------------------------------------------------------------------------------
function Get-DefenderSection {
    if (-not (Get-Command -Name 'Get-MpPreference' -ErrorAction SilentlyContinue) -or -not (Get-Service -Name WinDefend -ErrorAction SilentlyContinue)) {
        return [ordered]@{ present = $false }
    }
    $realTime = $null
    try {
        $realTime = [bool](Get-MpComputerStatus).RealTimeProtectionEnabled
    }
    catch {
        $realTime = $null
    }
    $pref = Get-MpPreference
    $paths = @()
    foreach ($x in @($pref.ExclusionPath)) {
        if ($x) {
            $paths += [string]$x
        }
    }
    $processes = @()
    foreach ($x in @($pref.ExclusionProcess)) {
        if ($x) {
            $processes += [string]$x
        }
    }
    return [ordered]@{ present = $true; realTimeProtection = $realTime; exclusionPath = $paths; exclusionProcess = $processes }
}

function Get-DiskSection {
    $drive = $env:SystemDrive
    if (-not $drive) {
        $drive = 'C:'
    }
    $disk = Get-CimInstance -ClassName Win32_LogicalDisk -Filter ("DeviceID='{0}'" -f $drive)
    return [ordered]@{ drive = $drive; freeBytes = [double]$disk.FreeSpace; sizeBytes = [double]$disk.Size }
}

# ---------------------------------------------------------------------------------------------
# Clock. With -ApiServerUrl: the node's UTC time at the midpoint of one HTTPS request minus the
# API server's Date header. Date has whole seconds, so the result carries half a second plus
# half the round trip of uncertainty; it measures skew against the control plane, which is what
# certificates and tokens are judged by. The response is used for its Date header only: no
# credential is sent, so its certificate is not verified (the node does not trust the cluster
# CA in its store). Without a URL: w32tm's offset against the node's own time source, which
# says nothing when that source is itself wrong (e.g. the local CMOS clock).
# ---------------------------------------------------------------------------------------------
function Get-ClockSection {
    if ($ApiServerUrl) {
        # .NET Framework 4.x under Windows PowerShell 5.1 offers only what SecurityProtocol lists,
        # Ssl3 and Tls (1.0) on Server 2019 unless the registry says otherwise, and API servers
        # accept TLS 1.2 at the least: add it to what is there, removing nothing.
        [Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12
        $uri = New-Object System.Uri($ApiServerUrl.TrimEnd('/') + '/version')
        $request = [System.Net.HttpWebRequest]::Create($uri)
        $request.Timeout = 5000
        $request.Method = 'GET'
        # A compiled callback, not a script block: a script block has no runspace on the thread
        # that validates when the handshake runs off the calling thread (always in PowerShell 7).
        $accept = 'WinK8sDiag.AcceptAnyCertificate' -as [type]
        if (-not $accept) {
            $accept = Add-Type -PassThru -TypeDefinition @'
namespace WinK8sDiag {
    public static class AcceptAnyCertificate {
        public static System.Net.Security.RemoteCertificateValidationCallback Callback {
            get { return delegate { return true; }; }
        }
    }
}
'@
        }
        $request.ServerCertificateValidationCallback = $accept::Callback
        $before = [DateTime]::UtcNow
        $response = $null
        try {
            try {
                $response = $request.GetResponse()
            }
            catch [System.Net.WebException] {
                $response = $_.Exception.Response
                if ($null -eq $response) {
                    throw
                }
            }
            $after = [DateTime]::UtcNow
            $dateHeader = $response.Headers['Date']
        }
        finally {
            if ($null -ne $response) {
                $response.Close()
            }
        }
        if (-not $dateHeader) {
            throw "$ApiServerUrl answered without a Date header"
        }
        $server = [DateTime]::Parse($dateHeader, [Globalization.CultureInfo]::InvariantCulture, [Globalization.DateTimeStyles]::AdjustToUniversal)
        $rtt = ($after - $before).TotalSeconds
        $midpoint = $before.AddSeconds($rtt / 2)
        $skew = ($midpoint - $server.AddSeconds(0.5)).TotalSeconds
        return [ordered]@{ method = 'api-date-header'; reference = $ApiServerUrl; skewSeconds = [Math]::Round($skew, 3); uncertaintySeconds = [Math]::Round(0.5 + $rtt / 2, 3) }
    }

    $source = ((& w32tm.exe /query /source) -join ' ').Trim()
    $out = [ordered]@{ method = 'w32tm'; reference = $source; skewSeconds = $null; uncertaintySeconds = $null }
    if ($source -match 'Local CMOS Clock|Free-running System Clock') {
        $out.unsynchronised = $true
        return $out
    }
    # "VM IC Time Synchronization Provider" and similar are not NTP peers stripchart can query.
    $peer = ($source -split ',')[0].Trim()
    if ($peer -match '^[A-Za-z0-9.\-:\[\]]+$') {
        $offsets = @()
        foreach ($line in @(& w32tm.exe /stripchart "/computer:$peer" /samples:3 /dataonly)) {
            $m = [regex]::Match([string]$line, ',\s*([+-]\d+(?:[.,]\d+)?)s')
            if ($m.Success) {
                $offsets += [double]::Parse($m.Groups[1].Value.Replace(',', '.'), [Globalization.CultureInfo]::InvariantCulture)
            }
        }
        if ($offsets.Count -gt 0) {
            $sorted = @($offsets | Sort-Object)
            # The median of three samples, signed as w32tm prints it; the checks judge its size.
            $out.skewSeconds = [Math]::Round($sorted[[int][Math]::Floor($sorted.Count / 2)], 3)
            $out.uncertaintySeconds = 0.1
        }
        else {
            $out.error = "w32tm /stripchart against $peer returned no sample"
        }
    }
    return $out
}

# ---------------------------------------------------------------------------------------------
# containerd's sandbox (pause) image: config version 2 "sandbox_image", version 3
# [plugins.'io.containerd.cri.v1.images'.pinned_images] "sandbox".
# ---------------------------------------------------------------------------------------------
function Get-ContainerdSection {
    $candidates = @((Join-Path $env:ProgramFiles 'containerd\config.toml'), (Join-Path $env:SystemDrive 'etc\containerd\config.toml'))
    foreach ($path in $candidates) {
        if (-not (Test-Path -LiteralPath $path)) {
            continue
        }
        $text = [IO.File]::ReadAllText($path)
        $image = $null
        $m = [regex]::Match($text, '(?m)^\s*sandbox_image\s*=\s*["'']([^"'']+)["'']')
        if (-not $m.Success) {
            $m = [regex]::Match($text, '(?ms)pinned_images\]\s*[^\[]*?^\s*sandbox\s*=\s*["'']([^"'']+)["'']')
        }
        if ($m.Success) {
            $image = $m.Groups[1].Value
        }
        $version = $null
        $exe = Join-Path (Split-Path -Parent $path) 'containerd.exe'
        if (Test-Path -LiteralPath $exe) {
            $version = Limit-Text ((& $exe --version) -join ' ') 120
        }
        return [ordered]@{ configPath = $path; configFound = $true; sandboxImage = $image; version = $version }
    }
    return [ordered]@{ configPath = $candidates[0]; configFound = $false; sandboxImage = $null; version = $null }
}

# ---------------------------------------------------------------------------------------------
# The runtime through CRI: crictl asks the endpoint the kubelet uses what the runtime thinks of
# itself. crictl prints protobuf's JSON mapping (lowerCamelCase names, enums by name, 64-bit
# integers as strings), except `version`, which has no JSON output. Every call is bounded in
# time, and a failed call costs only its own part of the section.
# ---------------------------------------------------------------------------------------------
function Find-Crictl {
    # Our bootstrap puts crictl in C:\k; containerd's Windows packages next to containerd.exe.
    foreach ($candidate in @((Join-Path $env:SystemDrive 'k\crictl.exe'), (Join-Path $env:ProgramFiles 'containerd\crictl.exe'))) {
        if (Test-Path -LiteralPath $candidate) {
            return (Get-Item -LiteralPath $candidate).FullName
        }
    }
    $cmd = Get-Command -Name 'crictl.exe' -CommandType Application -ErrorAction SilentlyContinue | Select-Object -First 1
    if ($cmd) {
        return $cmd.Path
    }
    return $null
}

function Get-CriEndpoint {
    if ($CriEndpoint) {
        return [ordered]@{ endpoint = $CriEndpoint; source = 'parameter' }
    }
    # The kubelet's own choice: its service command line (our bootstrap, sig-windows-tools),
    # kubeadm's flags file, or its config file (containerRuntimeEndpoint, Kubernetes 1.27+).
    $texts = @()
    $svc = Get-CimInstance -ClassName Win32_Service -Filter "Name='kubelet'" -ErrorAction SilentlyContinue
    if ($svc -and $svc.PathName) {
        $texts += [string]$svc.PathName
    }
    foreach ($relative in @('var\lib\kubelet\kubeadm-flags.env', 'var\lib\kubelet\config.yaml')) {
        $path = Join-Path $env:SystemDrive $relative
        if (Test-Path -LiteralPath $path) {
            $texts += [IO.File]::ReadAllText((Get-Item -LiteralPath $path).FullName)
        }
    }
    foreach ($text in $texts) {
        $m = [regex]::Match($text, '--container-runtime-endpoint(?:=|\s+)["'']?([^"''\s]+)')
        if (-not $m.Success) {
            $m = [regex]::Match($text, '(?m)^\s*containerRuntimeEndpoint:\s*["'']?([^"''\s]+)')
        }
        if ($m.Success) {
            return [ordered]@{ endpoint = $m.Groups[1].Value; source = 'kubelet' }
        }
    }
    # Where our bootstrap points crictl.
    foreach ($target in @('Machine', 'Process')) {
        $value = [Environment]::GetEnvironmentVariable('CONTAINER_RUNTIME_ENDPOINT', $target)
        if ($value) {
            return [ordered]@{ endpoint = $value; source = 'environment' }
        }
    }
    # The runtime that is installed: cri-dockerd from Kubernetes 1.24, before it the kubelet's
    # built-in dockershim (Docker's own pipe speaks the Docker API, not CRI).
    if (Get-Service -Name 'containerd' -ErrorAction SilentlyContinue) {
        return [ordered]@{ endpoint = 'npipe:////./pipe/containerd-containerd'; source = 'inferred' }
    }
    if (@(Get-Process -Name 'cri-dockerd' -ErrorAction SilentlyContinue).Count -gt 0) {
        return [ordered]@{ endpoint = 'npipe:////./pipe/cri-dockerd'; source = 'inferred' }
    }
    if (Get-Service -Name 'docker' -ErrorAction SilentlyContinue) {
        return [ordered]@{ endpoint = 'npipe:////./pipe/dockershim'; source = 'inferred' }
    }
    return [ordered]@{ endpoint = 'npipe:////./pipe/containerd-containerd'; source = 'inferred' }
}

function Invoke-Crictl {
    param(
        [Parameter(Mandatory = $true)] [string]$Path,
        [Parameter(Mandatory = $true)] [string]$Endpoint,
        [Parameter(Mandatory = $true)] [string[]]$Arguments
    )
    if ($script:CrictlStalled) {
        # One call that hung says the runtime hangs: the others would each wait as long.
        return [ordered]@{ exitCode = -1; stdout = ''; stderr = ''; failure = ('crictl {0} not run: {1}' -f $Arguments[0], $script:CrictlStalled) }
    }
    $all = @('--runtime-endpoint', $Endpoint, '--image-endpoint', $Endpoint, '--timeout', '10s') + $Arguments
    $psi = New-Object System.Diagnostics.ProcessStartInfo
    $psi.FileName = $Path
    $psi.Arguments = (@($all | ForEach-Object { if ($_ -match '[\s"]') { '"' + ($_ -replace '"', '\"') + '"' } else { $_ } }) -join ' ')
    $psi.UseShellExecute = $false
    $psi.CreateNoWindow = $true
    # Both streams are read while crictl runs: a full pipe would otherwise stall it.
    $psi.RedirectStandardOutput = $true
    $psi.RedirectStandardError = $true
    $psi.StandardOutputEncoding = New-Object System.Text.UTF8Encoding($false)
    $psi.StandardErrorEncoding = New-Object System.Text.UTF8Encoding($false)
    $process = [System.Diagnostics.Process]::Start($psi)
    $stdout = $process.StandardOutput.ReadToEndAsync()
    $stderr = $process.StandardError.ReadToEndAsync()
    if (-not $process.WaitForExit($CrictlTimeoutSeconds * 1000)) {
        try {
            $process.Kill()
        }
        catch {
            Write-Verbose "crictl had already exited: $($_.Exception.Message)"
        }
        $script:CrictlStalled = 'crictl {0} did not finish within {1}s' -f $Arguments[0], $CrictlTimeoutSeconds
        return [ordered]@{ exitCode = -1; stdout = ''; stderr = ''; failure = $script:CrictlStalled }
    }
    $process.WaitForExit()
    $result = [ordered]@{ exitCode = $process.ExitCode; stdout = $stdout.Result; stderr = $stderr.Result; failure = $null }
    if ($result.exitCode -ne 0) {
        # crictl logs its fatal error through logrus: time="..." level=fatal msg="...".
        $text = [string]$result.stderr
        $m = [regex]::Matches($text, 'level=(?:fatal|error) msg="((?:[^"\\]|\\.)*)"')
        if ($m.Count -gt 0) {
            $text = $m[$m.Count - 1].Groups[1].Value -replace '\\(.)', '$1'
        }
        if (-not $text.Trim()) {
            $text = 'exit code {0}' -f $result.exitCode
        }
        $result.failure = Limit-Text ('crictl {0}: {1}' -f $Arguments[0], $text) 500
    }
    return $result
}

function ConvertFrom-CrictlJson {
    param([AllowEmptyString()] [string]$Text)
    # inspect/inspecti with several ids print one document per id before crictl 1.31, one array
    # from 1.31; json.Indent leaves only the top level's braces at the start of a line.
    $items = New-Object System.Collections.ArrayList
    foreach ($part in ($Text.Trim() -split '(?m)(?<=^\})\s*(?=^\{)')) {
        if (-not $part.Trim()) {
            continue
        }
        $value = ConvertFrom-Json -InputObject $part
        if ($value -is [array]) {
            foreach ($v in $value) {
                [void]$items.Add($v)
            }
        }
        else {
            [void]$items.Add($value)
        }
    }
    return , $items.ToArray()
}

function Get-CrictlDocuments {
    param([Parameter(Mandatory = $true)] [string]$Crictl, [Parameter(Mandatory = $true)] [string]$Endpoint, [Parameter(Mandatory = $true)] [string[]]$Arguments)
    $r = Invoke-Crictl -Path $Crictl -Endpoint $Endpoint -Arguments $Arguments
    if ($r.failure) {
        throw $r.failure
    }
    return , (ConvertFrom-CrictlJson $r.stdout)
}

function Get-List {
    param($Object, [Parameter(Mandatory = $true)] [string]$Name)
    return , @(@(Get-Prop $Object $Name) | Where-Object { $null -ne $_ })
}

function ConvertTo-TimeText {
    param($Value)
    # PowerShell 7's ConvertFrom-Json turns ISO 8601 strings into DateTime; 5.1 leaves them text.
    if ($Value -is [datetime]) {
        return $Value.ToUniversalTime().ToString('yyyy-MM-ddTHH:mm:ssZ', [Globalization.CultureInfo]::InvariantCulture)
    }
    return [string]$Value
}

function Get-RuntimeSection {
    $script:CrictlStalled = $null
    $ep = Get-CriEndpoint
    $section = [ordered]@{ crictlPath = $null; endpoint = $ep.endpoint; endpointSource = $ep.source; skipped = $null; unreachable = $null }
    $crictl = Find-Crictl
    if (-not $crictl) {
        $section.skipped = 'crictl not found in {0}, in {1} or on PATH' -f (Join-Path $env:SystemDrive 'k'), (Join-Path $env:ProgramFiles 'containerd')
        return $section
    }
    $section.crictlPath = $crictl
    $endpoint = $ep.endpoint

    # First the version: when the endpoint does not answer, that is said once, instead of
    # waiting for every command to time out.
    try {
        $r = Invoke-Crictl -Path $crictl -Endpoint $endpoint -Arguments @('version')
    }
    catch {
        # Not a program this node can run (a wrong architecture, a blocked or damaged file).
        $section.skipped = 'crictl at {0} could not start: {1}' -f $crictl, $_.Exception.Message
        return $section
    }
    if ($r.failure) {
        $section.unreachable = $r.failure
        return $section
    }
    $v = @{}
    foreach ($line in ([string]$r.stdout -split "`r?`n")) {
        $m = [regex]::Match($line, '^\s*(Version|RuntimeName|RuntimeVersion|RuntimeApiVersion):\s*(.*?)\s*$')
        if ($m.Success) {
            $v[$m.Groups[1].Value] = $m.Groups[2].Value
        }
    }
    $section.version = [ordered]@{ version = $v['Version']; runtimeName = $v['RuntimeName']; runtimeVersion = $v['RuntimeVersion']; runtimeApiVersion = $v['RuntimeApiVersion'] }

    try {
        $info = (Get-CrictlDocuments -Crictl $crictl -Endpoint $endpoint -Arguments @('info', '-o', 'json'))[0]
        $conditions = @()
        foreach ($c in (Get-List (Get-Prop $info 'status') 'conditions')) {
            $conditions += [ordered]@{ type = [string](Get-Prop $c 'type'); status = ((Get-Prop $c 'status') -eq $true); reason = [string](Get-Prop $c 'reason'); message = (Limit-Text ([string](Get-Prop $c 'message')) 500) }
        }
        $section.conditions = $conditions
        # containerd's verbose status: its last CNI config load, and its CRI config (containerd
        # 1.x carries sandboxImage there; 2.x keeps it in the images plugin, which is not shown).
        $section.lastCniLoadStatus = Limit-Text (Get-Prop $info 'lastCNILoadStatus') 500
        $config = Get-Prop $info 'config'
        $section.sandboxImage = Get-Prop $config 'sandboxImage'
        $section.cniConfDir = Get-Prop (Get-Prop $config 'cni') 'confDir'
    }
    catch {
        $section.statusError = $_.Exception.Message
    }

    try {
        $items = Get-List (Get-CrictlDocuments -Crictl $crictl -Endpoint $endpoint -Arguments @('pods', '-o', 'json'))[0] 'items'
        $readyPods = @{}
        foreach ($s in $items) {
            $md = Get-Prop $s 'metadata'
            if ((Get-Prop $s 'state') -eq 'SANDBOX_READY') {
                $readyPods['{0}/{1}' -f (Get-Prop $md 'namespace'), (Get-Prop $md 'name')] = $true
            }
        }
        $notReady = @()
        foreach ($s in $items) {
            if ((Get-Prop $s 'state') -eq 'SANDBOX_READY') {
                continue
            }
            $md = Get-Prop $s 'metadata'
            $key = '{0}/{1}' -f (Get-Prop $md 'namespace'), (Get-Prop $md 'name')
            $notReady += [ordered]@{ id = ([string](Get-Prop $s 'id')).Substring(0, [Math]::Min(13, ([string](Get-Prop $s 'id')).Length)); name = [string](Get-Prop $md 'name'); namespace = [string](Get-Prop $md 'namespace'); attempt = [int](Get-Prop $md 'attempt'); podHasReadySandbox = $readyPods.ContainsKey($key) }
        }
        $section.sandboxes = [ordered]@{ total = $items.Count; ready = ($items.Count - $notReady.Count); notReady = @($notReady | Select-Object -First 30) }
    }
    catch {
        $section.sandboxesError = $_.Exception.Message
    }

    $imagesInUse = @{}
    try {
        $list = Get-List (Get-CrictlDocuments -Crictl $crictl -Endpoint $endpoint -Arguments @('ps', '-a', '-o', 'json'))[0] 'containers'
        $counts = @{ CONTAINER_RUNNING = 0; CONTAINER_EXITED = 0; CONTAINER_UNKNOWN = 0; CONTAINER_CREATED = 0 }
        $notable = @()
        foreach ($c in $list) {
            $state = [string](Get-Prop $c 'state')
            $counts[$state] = 1 + [int]$counts[$state]
            # What the image's containers got to: an image built for another Windows build leaves
            # its containers created but never started (HostProcess and Hyper-V ones do start).
            $ref = [string](Get-Prop $c 'imageRef')
            $rank = [Array]::IndexOf(@('CONTAINER_CREATED', 'CONTAINER_UNKNOWN', 'CONTAINER_EXITED', 'CONTAINER_RUNNING'), $state)
            if (-not $imagesInUse.ContainsKey($ref) -or $imagesInUse[$ref] -lt $rank) {
                $imagesInUse[$ref] = $rank
            }
            $labels = Get-Prop $c 'labels'
            # The kubelet keeps its own restart count in an annotation of each container.
            $restarts = 0
            [void][int]::TryParse([string](Get-Prop (Get-Prop $c 'annotations') 'io.kubernetes.container.restartCount'), [ref]$restarts)
            if ($state -eq 'CONTAINER_RUNNING' -and $restarts -eq 0) {
                continue
            }
            $notable += [ordered]@{
                id           = [string](Get-Prop $c 'id')
                name         = [string](Get-Prop (Get-Prop $c 'metadata') 'name')
                podName      = [string](Get-Prop $labels 'io.kubernetes.pod.name')
                podNamespace = [string](Get-Prop $labels 'io.kubernetes.pod.namespace')
                state        = $state
                restartCount = $restarts
                exitCode     = $null
                reason       = $null
                message      = $null
                finishedAt   = $null
                image        = [string](Get-Prop (Get-Prop $c 'image') 'image')
            }
        }
        # Those not running first, then by restarts: the ones that explain a failure.
        $notable = @($notable | Sort-Object -Property @{ Expression = { $_.state -eq 'CONTAINER_RUNNING' } }, @{ Expression = { $_.restartCount }; Descending = $true } | Select-Object -First 30)
        $ids = @($notable | Where-Object { $_.state -ne 'CONTAINER_RUNNING' } | ForEach-Object { $_.id })
        if ($ids.Count -gt 0) {
            try {
                # -q: the status alone, without containerd's verbose info (the OCI spec).
                foreach ($d in (Get-CrictlDocuments -Crictl $crictl -Endpoint $endpoint -Arguments (@('inspect', '-q', '-o', 'json') + $ids))) {
                    $st = Get-Prop $d 'status'
                    foreach ($n in $notable) {
                        if ($n.id -ne [string](Get-Prop $st 'id')) {
                            continue
                        }
                        # A start that failed (containerd's StartError, exit 128) is recorded as an
                        # exit too; the message then holds HCS's reason.
                        $n.reason = [string](Get-Prop $st 'reason')
                        $n.message = Limit-Text ([string](Get-Prop $st 'message')) 300
                        if ($n.state -eq 'CONTAINER_EXITED') {
                            $n.exitCode = [int](Get-Prop $st 'exitCode')
                            $n.finishedAt = ConvertTo-TimeText (Get-Prop $st 'finishedAt')
                        }
                    }
                }
            }
            catch {
                $section.inspectError = $_.Exception.Message
            }
        }
        foreach ($n in $notable) {
            $n.id = $n.id.Substring(0, [Math]::Min(13, $n.id.Length))
        }
        $section.containers = [ordered]@{ total = $list.Count; running = [int]$counts.CONTAINER_RUNNING; exited = [int]$counts.CONTAINER_EXITED; unknown = [int]$counts.CONTAINER_UNKNOWN; created = [int]$counts.CONTAINER_CREATED; notable = $notable }
    }
    catch {
        $section.containersError = $_.Exception.Message
    }

    try {
        $list = Get-List (Get-CrictlDocuments -Crictl $crictl -Endpoint $endpoint -Arguments @('images', '-o', 'json'))[0] 'images'
        $images = @()
        foreach ($i in ($list | Select-Object -First 60)) {
            $images += [ordered]@{
                id        = [string](Get-Prop $i 'id')
                tags      = (Get-List $i 'repoTags')
                sizeBytes = [double](Get-Prop $i 'size')
                pinned    = ((Get-Prop $i 'pinned') -eq $true)
                usedBy    = $null
                os        = $null
                osVersion = $null
            }
        }
        if ($images.Count -gt 0) {
            try {
                # containerd's verbose image status holds the image config: os and os.version.
                foreach ($d in (Get-CrictlDocuments -Crictl $crictl -Endpoint $endpoint -Arguments (@('inspecti', '-o', 'json') + @($images | ForEach-Object { $_.id })))) {
                    $id = [string](Get-Prop (Get-Prop $d 'status') 'id')
                    $spec = Get-Prop (Get-Prop $d 'info') 'imageSpec'
                    foreach ($img in $images) {
                        if ($img.id -eq $id) {
                            $img.os = Get-Prop $spec 'os'
                            $img.osVersion = Get-Prop $spec 'os.version'
                        }
                    }
                }
            }
            catch {
                $section.inspectImagesError = $_.Exception.Message
            }
        }
        foreach ($img in $images) {
            if ($imagesInUse.ContainsKey($img.id)) {
                $img.usedBy = @('created', 'unknown', 'exited', 'running')[[Math]::Max(0, $imagesInUse[$img.id])]
            }
            $img.id = ($img.id -replace '^sha256:', '').Substring(0, [Math]::Min(12, ($img.id -replace '^sha256:', '').Length))
        }
        $section.images = $images
        # Containers name their image by id: give them the image's first tag instead.
        foreach ($n in @($section.containers.notable)) {
            foreach ($img in $images) {
                if ($n -and $n.image -like ('sha256:{0}*' -f $img.id) -and @($img.tags).Count -gt 0) {
                    $n.image = @($img.tags)[0]
                }
            }
        }
    }
    catch {
        $section.imagesError = $_.Exception.Message
    }

    try {
        $doc = (Get-CrictlDocuments -Crictl $crictl -Endpoint $endpoint -Arguments @('imagefsinfo', '-o', 'json'))[0]
        $status = Get-Prop $doc 'status'
        # crictl 1.29+ wraps the response (imageFilesystems, containerFilesystems); before, it
        # printed each image filesystem by itself.
        $fs = (Get-List $status 'imageFilesystems') | Select-Object -First 1
        if ($null -eq $fs) {
            $fs = $status
        }
        $mount = [string](Get-Prop (Get-Prop $fs 'fsId') 'mountpoint')
        $used = Get-Prop (Get-Prop $fs 'usedBytes') 'value'
        $out = [ordered]@{ mountpoint = $mount; usedBytes = $null; drive = $null; freeBytes = $null; sizeBytes = $null }
        if ($null -ne $used) {
            $out.usedBytes = [double]$used
        }
        # containerd counts no layer usage on Windows (its image filesystem reports 0), and the
        # kubelet's image GC and eviction thresholds are shares of the volume: the volume's numbers.
        $drive = $env:SystemDrive
        if ($mount -match '^[A-Za-z]:') {
            $drive = $mount.Substring(0, 2)
        }
        $out.drive = $drive
        $disk = Get-CimInstance -ClassName Win32_LogicalDisk -Filter ("DeviceID='{0}'" -f $drive)
        if ($disk) {
            $out.freeBytes = [double]$disk.FreeSpace
            $out.sizeBytes = [double]$disk.Size
        }
        $section.imageFs = $out
    }
    catch {
        $section.imageFsError = $_.Exception.Message
    }
    return $section
}

# ---------------------------------------------------------------------------------------------
# Logs: the tail of each component's log, keeping only lines that match a known signature.
# The ids are the contract with the CLI, which maps each one to a cause and a fix. A line gets
# the first signature it matches, so the specific ones come before the general ones.
# ---------------------------------------------------------------------------------------------
$LogSignatures = @(
    @{ id = 'hns-port-exists'; pattern = '0x803b0013' },
    @{ id = 'hns-policy-failed'; pattern = 'Policy creation failed' },
    @{ id = 'hns-source-vip'; pattern = 'Source Vip endpoint creation failed|source-vip.*(not found|empty|missing)' },
    @{ id = 'hns-element-not-found'; pattern = 'Element not found' },
    @{ id = 'hns-already-exists'; pattern = '0x1392|hnsCall failed.*already exists' },
    @{ id = 'hns-lb-exists'; pattern = 'load ?balancer.*0xb7|0xb7.*load ?balancer' },
    @{ id = 'hns-call-failed'; pattern = 'hnsCall failed' },
    @{ id = 'flannel-waiting-network'; pattern = 'Waiting for the Network to be created' },
    @{ id = 'cni-not-initialized'; pattern = 'cni config uninitialized|network plugin is not ready' },
    @{ id = 'cni-plugin-missing'; pattern = 'failed to find plugin' },
    @{ id = 'ipam-exhausted'; pattern = 'failed to allocate for range' },
    @{ id = 'os-mismatch'; pattern = 'does not match the host operating system|The container operating system does not match' },
    @{ id = 'sandbox-name-reserved'; pattern = 'failed to reserve sandbox name' },
    @{ id = 'image-layer-corrupt'; pattern = 'wrong diff id|invalid tar header|layerchain' },
    @{ id = 'pleg-unhealthy'; pattern = 'PLEG is not healthy' },
    @{ id = 'eviction-disk'; pattern = 'eviction manager: attempting to reclaim|must evict pod|DiskPressure' },
    @{ id = 'certificate-time'; pattern = 'x509: certificate has expired or is not yet valid' },
    @{ id = 'apiserver-unauthorized'; pattern = 'Unauthorized|invalid bearer token' }
)

function Get-LogFiles {
    # Relative to the system drive (C:\var\log, C:\k): the places the kubelet, our bootstrap
    # and the older guides put them.
    $sources = [ordered]@{
        kubelet      = @('var\log\kubelet\kubelet.log', 'k\kubelet.log', 'k\kubelet.err.log', 'var\log\kubelet\*.log')
        'kube-proxy' = @('var\log\kube-proxy\kube-proxy.log', 'k\kube-proxy.log', 'k\kubeproxy.log', 'k\kubeproxy.err.log', 'var\log\pods\kube-system_kube-proxy*\*\*.log')
        containerd   = @('var\log\containerd.log', 'var\log\containerd\containerd.log', 'k\containerd.log', (Join-Path $env:SystemRoot 'Temp\containerd.log'))
        flanneld     = @('var\log\flanneld\flanneld.log', 'k\flanneld.log', 'var\log\pods\kube-flannel_*\*\*.log')
    }
    $files = @()
    foreach ($source in $sources.Keys) {
        $seen = @{}
        foreach ($relative in $sources[$source]) {
            $pattern = $relative
            if (-not [IO.Path]::IsPathRooted($relative)) {
                $pattern = Join-Path $env:SystemDrive $relative
            }
            foreach ($item in @(Get-Item -Path $pattern -ErrorAction SilentlyContinue)) {
                if ($item.PSIsContainer -or $seen.ContainsKey($item.FullName)) {
                    continue
                }
                $seen[$item.FullName] = $true
                $files += [ordered]@{ source = $source; path = $item.FullName }
            }
        }
    }
    return $files
}

function Get-LogsSection {
    $files = @()
    $matchesBySource = [ordered]@{}
    $inputs = @()
    foreach ($f in (Get-LogFiles)) {
        try {
            $lines = @(Get-Content -LiteralPath $f.path -Tail $LogTailLines -ErrorAction Stop)
            $files += [ordered]@{ source = $f.source; path = $f.path; lines = [int]$lines.Count }
            $inputs += , @($f.source, $lines)
        }
        catch {
            $files += [ordered]@{ source = $f.source; path = $f.path; lines = 0; error = (Get-ErrorText $_) }
        }
    }
    # Our bootstrap registers containerd without a log file: it then logs to the Application
    # event log under its own provider name.
    if (-not @($files | Where-Object { $_.source -eq 'containerd' }).Count) {
        try {
            # Rendering event messages is slow: fewer events than file lines.
            $events = @(Get-WinEvent -FilterHashtable @{ LogName = 'Application'; ProviderName = 'containerd' } -MaxEvents ([Math]::Min($LogTailLines, 500)) -ErrorAction Stop)
            [array]::Reverse($events)
            $lines = @($events | ForEach-Object { '{0} {1}' -f $_.TimeCreated.ToUniversalTime().ToString('o'), ($_.Message -replace '\s+', ' ') })
            $files += [ordered]@{ source = 'containerd'; path = 'eventlog:Application/containerd'; lines = [int]$lines.Count }
            $inputs += , @('containerd', $lines)
        }
        catch {
            $files += [ordered]@{ source = 'containerd'; path = 'eventlog:Application/containerd'; lines = 0; error = (Get-ErrorText $_) }
        }
    }
    foreach ($pair in $inputs) {
        $source = $pair[0]
        foreach ($line in $pair[1]) {
            $text = [string]$line
            foreach ($sig in $LogSignatures) {
                if ($text -notmatch $sig.pattern) {
                    continue
                }
                $key = '{0}|{1}' -f $source, $sig.id
                if (-not $matchesBySource.Contains($key)) {
                    $matchesBySource[$key] = @{ source = $source; signature = $sig.id; hits = 0; kept = (New-Object System.Collections.ArrayList) }
                }
                $entry = $matchesBySource[$key]
                $entry['hits'] = $entry['hits'] + 1
                [void]$entry['kept'].Add((Limit-Text $text 400))
                if ($entry['kept'].Count -gt $MaxLinesPerSignature) {
                    $entry['kept'].RemoveAt(0)
                }
                # One line is tagged with its first (most specific) signature only.
                break
            }
        }
    }
    $found = @()
    foreach ($entry in $matchesBySource.Values) {
        $found += [ordered]@{ source = $entry['source']; signature = $entry['signature']; count = [int]$entry['hits']; lines = @($entry['kept'].ToArray()) }
    }
    return [ordered]@{ tailLines = $LogTailLines; files = $files; matches = $found }
}

# ---------------------------------------------------------------------------------------------
# Main: every section guarded, and the printing itself guarded, so the markers always appear.
# ---------------------------------------------------------------------------------------------
$report = [ordered]@{
    schemaVersion = $SchemaVersion
    generatedAt   = [DateTime]::UtcNow.ToString('o')
    hostname      = $env:COMPUTERNAME
    parameters    = [ordered]@{ networkName = $NetworkName; networkType = $NetworkType; dnsServiceIp = $DnsServiceIp; podCidr = $PodCidr; apiServerUrl = $ApiServerUrl }
}
$report.os = Invoke-Section -Name 'os' -Body { Get-OsSection }
$report.services = Invoke-Section -Name 'services' -Body { Get-ServicesSection }
$report.health = Invoke-Section -Name 'health' -Body { Get-HealthSection }
$report.hns = Invoke-Section -Name 'hns' -Body { Get-HnsSection }
$report.ephemeralPorts = Invoke-Section -Name 'ephemeralPorts' -Body { Get-EphemeralPortsSection }
$report.firewall = Invoke-Section -Name 'firewall' -Body { Get-FirewallSection }
$report.defender = Invoke-Section -Name 'defender' -Body { Get-DefenderSection }
$report.disk = Invoke-Section -Name 'disk' -Body { Get-DiskSection }
$report.clock = Invoke-Section -Name 'clock' -Body { Get-ClockSection }
$report.containerd = Invoke-Section -Name 'containerd' -Body { Get-ContainerdSection }
$report.runtime = Invoke-Section -Name 'runtime' -Body { Get-RuntimeSection }
$report.logs = Invoke-Section -Name 'logs' -Body { Get-LogsSection }

try {
    # Compressed: one line survives transports that wrap or prefix lines, and stays small.
    $json = $report | ConvertTo-Json -Depth 8 -Compress
}
catch {
    $json = '{{"schemaVersion":{0},"hostname":"{1}","error":"ConvertTo-Json failed: {2}"}}' -f $SchemaVersion, ($env:COMPUTERNAME -replace '[\\"]', ''), ($_.Exception.Message -replace '[\\"]', '' -replace '[\r\n]+', ' ')
}
[Console]::Out.WriteLine('WIN-K8S-NODE-REPORT-BEGIN')
[Console]::Out.WriteLine($json)
[Console]::Out.WriteLine('WIN-K8S-NODE-REPORT-END')
[Console]::Out.Flush()
