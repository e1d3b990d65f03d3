<#
  The Windows boundary for templates/diagnose/node-checks.ps1 under PowerShell 7 on Linux:
  Windows' root folders point into a temp folder holding real files, and only what exists on
  Windows alone is replaced (the registry, services, HNS, firewall, Defender, CIM, netsh.exe,
  w32tm.exe). The replacements return objects with the real cmdlets' field names (HNS: the v1
  JSON of hns.psm1 / HostNetworkingService); everything else in the script runs for real.
#>

$script:HarnessDir = $PSScriptRoot
$script:ScriptPath = Join-Path $PSScriptRoot '..\..\..\templates\diagnose\node-checks.ps1'

function Initialize-NodeRoot {
    param([Parameter(Mandatory = $true)] [string]$Root)
    $drive = Join-Path $Root 'C'
    $env:SystemDrive = $drive
    $env:ProgramData = Join-Path $drive 'ProgramData'
    $env:ProgramFiles = Join-Path $drive 'Program Files'
    $env:SystemRoot = Join-Path $drive 'Windows'
    $env:COMPUTERNAME = 'WIN-1'
    foreach ($dir in @('var\log\kubelet', 'var\log\kube-proxy', 'var\log\containerd', 'var\log\flanneld', 'k', 'Windows\Temp', 'Program Files\containerd')) {
        New-Item -ItemType Directory -Force -Path (Join-Path $drive $dir) | Out-Null
    }
    $utf8 = New-Object System.Text.UTF8Encoding($false)
    $kubelet = @('I1128 19:50:00.000000    4242 kubelet.go:2000] "SyncLoop ADD"')
    $kubelet += 1..5 | ForEach-Object { 'E1128 19:5{0}:00.000000    4242 pod_workers.go:1301] "Error syncing pod" err="network plugin is not ready: cni config uninitialized"' -f $_ }
    [IO.File]::WriteAllLines((Join-Path $drive 'var\log\kubelet\kubelet.log'), [string[]]$kubelet, $utf8)
    [IO.File]::WriteAllLines((Join-Path $drive 'var\log\kube-proxy\kube-proxy.log'), [string[]]@(
            'I1128 19:50:01.000000    5151 proxier.go:1100] "Syncing Policies"',
            'E1128 19:50:02.000000    5151 proxier.go:1200] "Policy creation failed" err="hnsCall failed in Win32: The specified port already exists. (0x803b0013)"'
        ), $utf8)
    # Our bootstrap's supervisor appends with Windows PowerShell's ">>": UTF-16LE with a BOM.
    [IO.File]::WriteAllLines((Join-Path $drive 'var\log\containerd\containerd.log'), [string[]]@(
            'time="2026-11-28T19:50:03Z" level=error msg="RunPodSandbox failed" error="failed to reserve sandbox name \"web_default\""'
        ), (New-Object System.Text.UnicodeEncoding($false, $true)))
    [IO.File]::WriteAllText((Join-Path $drive 'Program Files\containerd\config.toml'), "version = 3`n[plugins.'io.containerd.cri.v1.images'.pinned_images]`n  sandbox = 'registry.k8s.io/pause:3.10.1'`n", $utf8)
    Set-Content -LiteralPath (Join-Path $drive 'Program Files\containerd\containerd.exe') -Value '' -Encoding ascii
}

function New-StubService([string]$Name, [string]$Status, [string]$StartType) {
    # Get-Service's ServiceController: Status and StartType are enums the script turns into text.
    return [pscustomobject]@{ Name = $Name; ServiceName = $Name; Status = $Status; StartType = $StartType }
}

function Install-WindowsStubs {
    param(
        [Parameter(Mandatory = $true)] $Hns,
        [string[]]$Processes = @('containerd', 'kubelet', 'kube-proxy', 'flanneld')
    )
    $global:WinK8sStubHns = $Hns
    $global:WinK8sStubProcesses = $Processes
    $global:WinK8sStubServices = @{
        containerd   = (New-StubService 'containerd' 'Running' 'Automatic')
        kubelet      = (New-StubService 'kubelet' 'Running' 'Automatic')
        'kube-proxy' = (New-StubService 'kube-proxy' 'Running' 'Automatic')
        hns          = (New-StubService 'hns' 'Running' 'Manual')
        WinDefend    = (New-StubService 'WinDefend' 'Running' 'Automatic')
    }
    function global:Get-ItemProperty {
        param([Parameter(Position = 0)] [string]$Path)
        if ($Path -notlike 'HKLM:*') { throw "the harness stubs only the registry, not $Path" }
        return [pscustomobject]@{ ProductName = 'Windows Server 2022 Datacenter'; EditionID = 'ServerDatacenter'; InstallationType = 'Server Core'; CurrentBuildNumber = '20348'; UBR = 2849; DisplayVersion = '21H2'; ReleaseId = '2009' }
    }
    function global:Get-Service {
        [CmdletBinding()] param([string]$Name)
        $svc = $global:WinK8sStubServices[$Name]
        if ($null -eq $svc) {
            Write-Error -Message "Cannot find any service with service name '$Name'." -Category ObjectNotFound -ErrorId 'NoServiceFoundForGivenName,Microsoft.PowerShell.Commands.GetServiceCommand'
        }
        return $svc
    }
    function global:Get-Process {
        [CmdletBinding()] param([string]$Name)
        if ($global:WinK8sStubProcesses -contains $Name) { return [pscustomobject]@{ ProcessName = $Name; Id = 4242 } }
        Write-Error -Message "Cannot find a process with the name `"$Name`"." -Category ObjectNotFound -ErrorId 'NoProcessFoundForGivenName,Microsoft.PowerShell.Commands.GetProcessCommand'
    }
    # hns.psm1 / HostNetworkingService return the v1 API's JSON objects as they are.
    function global:Get-HnsNetwork { return $global:WinK8sStubHns.networks }
    function global:Get-HnsEndpoint { return $global:WinK8sStubHns.endpoints }
    function global:Get-HnsPolicyList { return $global:WinK8sStubHns.policylists }
    function global:Get-NetTCPConnection {
        [CmdletBinding()] param()
        return @(50000, 50001, 50002, 443) | ForEach-Object { [pscustomobject]@{ LocalAddress = '10.0.2.21'; LocalPort = $_; State = 'Established' } }
    }
    function global:Get-NetFirewallProfile {
        param([string]$PolicyStore)
        return @('Domain', 'Private', 'Public') | ForEach-Object { [pscustomobject]@{ Name = $_; Enabled = 'True' } }
    }
    function global:Get-NetFirewallPortFilter {
        param([switch]$All, [string]$PolicyStore)
        return @(
            [pscustomobject]@{ InstanceID = 'win-k8s-kubelet'; Protocol = 'TCP'; LocalPort = '10250' },
            [pscustomobject]@{ InstanceID = 'win-k8s-kube-proxy'; Protocol = 'TCP'; LocalPort = '10256' },
            [pscustomobject]@{ InstanceID = 'win-k8s-vxlan'; Protocol = 'UDP'; LocalPort = '4789' }
        )
    }
    function global:Get-NetFirewallRule {
        [CmdletBinding()] param([Parameter(ValueFromPipeline = $true)] $AssociatedNetFirewallPortFilter)
        process {
            [pscustomobject]@{ Name = $AssociatedNetFirewallPortFilter.InstanceID; DisplayName = $AssociatedNetFirewallPortFilter.InstanceID; Enabled = 'True'; Direction = 'Inbound'; Action = 'Allow' }
        }
    }
    function global:Get-MpPreference { return [pscustomobject]@{ ExclusionPath = @((Join-Path $env:ProgramFiles 'containerd'), (Join-Path $env:SystemDrive 'k')); ExclusionProcess = @('containerd.exe', 'kubelet.exe') } }
    function global:Get-MpComputerStatus { return [pscustomobject]@{ RealTimeProtectionEnabled = $true } }
    $global:WinK8sStubDisk = @{ FreeSpace = [uint64]53687091200; Size = [uint64]136365211648 }
    $global:WinK8sStubKubeletCommandLine = $null
    function global:Get-CimInstance {
        [CmdletBinding()] param([string]$ClassName, [string]$Filter)
        if ($ClassName -eq 'Win32_Service') {
            # Win32_Service.PathName: the service's command line, as Register-NodeService wrote it.
            if ($global:WinK8sStubKubeletCommandLine -and $Filter -eq "Name='kubelet'") { return [pscustomobject]@{ Name = 'kubelet'; PathName = $global:WinK8sStubKubeletCommandLine } }
            return
        }
        if ($ClassName -ne 'Win32_LogicalDisk') { throw "the harness stubs only Win32_LogicalDisk and Win32_Service, not $ClassName" }
        $id = ([regex]::Match($Filter, "DeviceID='([^']*)'")).Groups[1].Value
        return [pscustomobject]@{ DeviceID = $id; FreeSpace = $global:WinK8sStubDisk.FreeSpace; Size = $global:WinK8sStubDisk.Size }
    }
    function global:Get-WinEvent { [CmdletBinding()] param($FilterHashtable, $MaxEvents) Write-Error 'No events were found that match the specified selection criteria.' }

    # Native executables, by name or by path: the lookup hook runs before PATH is searched.
    $global:WinK8sNativeStubs = @{
        'netsh.exe'      = {
            $line = $args -join ' '
            if ($line -like '*dynamicport*') { return @('', 'Protocol tcp Dynamic Port Range', '---------------------------------', 'Start Port      : 49152', 'Number of Ports : 16384', '') }
            return @('', 'Protocol tcp Port Exclusion Ranges', '', 'Start Port    End Port', '----------    --------', '     50000       50099', '     60000       60099', '', '* - Administered port exclusions.', '')
        }
        'w32tm.exe'      = {
            $line = $args -join ' '
            if ($line -like '*/query*') { return 'time.windows.com,0x8' }
            return @('Tracking time.windows.com [40.119.6.228:123].', 'Collecting 3 samples.', 'The current time is 11/28/2026 7:58:02 PM.', '19:58:02, +00.0123456s', '19:58:04, -00.0031000s', '19:58:06, +00.0101000s')
        }
        'containerd.exe' = { return 'containerd github.com/containerd/containerd/v2 v2.0.10 1a2b3c4d' }
    }
    $ExecutionContext.InvokeCommand.PreCommandLookupAction = {
        param($name, $eventArgs)
        $leaf = $name -replace '^.*[\\/]', ''
        if ($global:WinK8sNativeStubs.ContainsKey($leaf)) {
            $eventArgs.CommandScriptBlock = $global:WinK8sNativeStubs[$leaf]
            $eventArgs.StopSearch = $true
        }
    }
}

function Remove-WindowsStubs {
    $ExecutionContext.InvokeCommand.PreCommandLookupAction = $null
    foreach ($n in @('WIN_K8S_FAKE_CRICTL_RECORDING', 'WIN_K8S_FAKE_CRICTL_LOG', 'WIN_K8S_FAKE_CRICTL_HANG')) { [Environment]::SetEnvironmentVariable($n, $null) }
    foreach ($f in @('Get-ItemProperty', 'Get-Service', 'Get-Process', 'Get-HnsNetwork', 'Get-HnsEndpoint', 'Get-HnsPolicyList', 'Get-NetTCPConnection', 'Get-NetFirewallProfile', 'Get-NetFirewallPortFilter', 'Get-NetFirewallRule', 'Get-MpPreference', 'Get-MpComputerStatus', 'Get-CimInstance', 'Get-WinEvent')) {
        Remove-Item -LiteralPath "Function:\global:$f" -ErrorAction SilentlyContinue
    }
}

<#
  crictl.exe under the node's C:\k, as the bootstrap installs it: the recording fake
  (test/fakes/crictl/crictl.sh) answering from test/fakes/crictl/recordings/<Recording>.
  Returns the log to which it appends each call's arguments.
#>
function Install-FakeCrictl {
    param([Parameter(Mandatory = $true)] [string]$Recording, [switch]$Hang, [string]$HangOn = '')
    $fakes = (Resolve-Path (Join-Path $script:HarnessDir '../../fakes/crictl')).Path
    $exe = Join-Path $env:SystemDrive 'k/crictl.exe'
    $log = Join-Path $env:SystemDrive 'crictl-calls.log'
    New-Item -ItemType File -Force -Path $log | Out-Null
    Copy-Item -LiteralPath (Join-Path $fakes 'crictl.sh') -Destination $exe -Force
    & chmod 755 $exe
    $env:WIN_K8S_FAKE_CRICTL_RECORDING = Join-Path $fakes "recordings/$Recording"
    $env:WIN_K8S_FAKE_CRICTL_LOG = $log
    $env:WIN_K8S_FAKE_CRICTL_HANG = $(if ($Hang) { '1' } else { $HangOn })
    return $log
}

<#
  The node script's functions without its main part, for cases about one section: defined
  globally from the script's own AST, so they are the shipped code. Script-level parameters
  they read ($CriEndpoint, $CrictlTimeoutSeconds) are then set as globals by the caller.
#>
function Import-NodeCheckFunctions {
    $tokens = $null
    $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseFile((Resolve-Path $script:ScriptPath).Path, [ref]$tokens, [ref]$errors)
    if ($errors) { throw "node-checks.ps1 does not parse: $($errors[0])" }
    foreach ($f in $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.FunctionDefinitionAst] }, $false)) {
        . ([scriptblock]::Create(('function global:{0} {1}' -f $f.Name, $f.Body.Extent.Text)))
    }
}

function Get-CrictlCalls {
    param([Parameter(Mandatory = $true)] [string]$Log)
    return @(Get-Content -LiteralPath $Log | Where-Object { $_ } | ForEach-Object { , @($_.TrimEnd("`t") -split "`t") })
}

function Get-RecordedHns {
    param([switch]$WithoutFlannelNetwork)
    $hns = Get-Content -Raw -LiteralPath (Join-Path $script:HarnessDir 'hns-healthy.json') | ConvertFrom-Json
    if ($WithoutFlannelNetwork) {
        # After a reboot HNS can lose flannel's network ("Element not found"): only nat is left.
        $hns.networks = @($hns.networks | Where-Object { $_.Name -ne 'flannel.4096' })
        $hns.endpoints = @()
    }
    return $hns
}

<# Runs the script as the CLI does (a script with named parameters) and returns what it printed. #>
function Invoke-NodeChecks {
    param([hashtable]$Parameters = @{})
    $writer = New-Object System.IO.StringWriter
    $console = [Console]::Out
    [Console]::SetOut($writer)
    try {
        $null = & $script:ScriptPath @Parameters
    }
    finally {
        [Console]::SetOut($console)
    }
    return $writer.ToString()
}

function Get-NodeReport {
    param([Parameter(Mandatory = $true)] [string]$Output)
    $m = [regex]::Match($Output, '(?s)WIN-K8S-NODE-REPORT-BEGIN\r?\n(.*?)\r?\nWIN-K8S-NODE-REPORT-END')
    if (-not $m.Success) { throw "no report in: $Output" }
    return $m.Groups[1].Value | ConvertFrom-Json
}

<# The process environment the node scenarios change (the roots, the runtime endpoint), to put back after. #>
function Save-NodeEnvironment {
    $saved = @{}
    foreach ($n in @('SystemDrive', 'ProgramData', 'ProgramFiles', 'SystemRoot', 'COMPUTERNAME', 'CONTAINER_RUNTIME_ENDPOINT')) { $saved[$n] = [Environment]::GetEnvironmentVariable($n) }
    return $saved
}

function Restore-NodeEnvironment {
    param([Parameter(Mandatory = $true)] [hashtable]$Saved)
    Remove-WindowsStubs
    foreach ($n in $Saved.Keys) { [Environment]::SetEnvironmentVariable($n, $Saved[$n]) }
}

<#
  One node in a fresh root, whose runtime answers crictl from a recording: the whole script runs
  with the kubelet's command line given, and the report is also written to
  $env:WIN_K8S_NODE_REPORTS_OUT/<Save>.txt for the mocha driver, which judges it with the CLI's
  checks. -Docker puts the docker service where containerd's would be.
#>
function Invoke-RuntimeScenario {
    param(
        [Parameter(Mandatory = $true)] [string]$Recording,
        [Parameter(Mandatory = $true)] [string]$Save,
        [Parameter(Mandatory = $true)] [string]$KubeletLine,
        [string[]]$Processes = @('containerd', 'kubelet', 'kube-proxy', 'flanneld'),
        [uint64]$FreeBytes = 53687091200,
        [switch]$Docker
    )
    Initialize-NodeRoot -Root (Join-Path $TestDrive $Recording)
    Install-WindowsStubs -Hns (Get-RecordedHns) -Processes $Processes
    if ($Docker) {
        $global:WinK8sStubServices.Remove('containerd')
        $global:WinK8sStubServices['docker'] = New-StubService 'docker' 'Running' 'Automatic'
        [Environment]::SetEnvironmentVariable('CONTAINER_RUNTIME_ENDPOINT', $null)
    }
    $global:WinK8sStubKubeletCommandLine = $KubeletLine
    $global:WinK8sStubDisk = @{ FreeSpace = $FreeBytes; Size = [uint64]136365211648 }
    $log = Install-FakeCrictl -Recording $Recording
    $out = Invoke-NodeChecks -Parameters @{ NetworkName = 'flannel.4096'; NetworkType = 'Overlay' }
    if ($env:WIN_K8S_NODE_REPORTS_OUT) { [IO.File]::WriteAllText((Join-Path $env:WIN_K8S_NODE_REPORTS_OUT "$Save.txt"), $out) }
    return @{ report = (Get-NodeReport $out); calls = (Get-CrictlCalls $log) }
}
