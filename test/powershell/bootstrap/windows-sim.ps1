<#
  A simulated Windows Server for running the rendered bootstrap under PowerShell 7 on Linux.

  Only the Windows boundary is replaced; everything else in the script runs for real:
  - Windows-only cmdlets (services, features, scheduled tasks, firewall, Defender, routes and
    addresses, CIM, the registry, Rename-Computer) are global functions that
    read and change a machine state kept in machine.json, so it survives a simulated reboot;
  - native executables (kubeadm, kubelet, containerd, dockerd, icacls, sc, tar, route, w32tm,
    host-local, powershell) are intercepted by PreCommandLookupAction, by their leaf name, and
    answered by recording fakes. Their output leaves through /bin/sh so that stdout, stderr and
    the exit code are those of a real native process (what `2>&1` and $LASTEXITCODE see);
  - .NET types that only work on Windows (WindowsIdentity, the COM1 serial port) are replaced by
    type accelerators; named pipes by a Test-Path that knows which services are running;
  - the network: Invoke-WebRequest keeps every argument but sends https://<host>/<path> to the
    test's loopback server as http://127.0.0.1:<port>/<host>/<path> (the proxy it was asked to
    use is recorded, not used);
  - the clock: Start-Sleep advances a virtual clock that Get-Date reads, so retries and
    deadlines run at full speed but in the order they would.
  The roots the script derives its paths from (SystemDrive, ProgramData, ProgramFiles, TEMP)
  point into the test's temporary folder.
#>

Set-StrictMode -Version 3.0

$script:SimDir = $env:WIN_K8S_SIM_DIR
if (-not $script:SimDir) { throw 'WIN_K8S_SIM_DIR is not set' }
$script:StateFile = Join-Path $script:SimDir 'machine.json'
$global:Sim = Get-Content -Raw -LiteralPath $script:StateFile | ConvertFrom-Json -AsHashtable

function global:Save-SimState {
    $global:Sim | ConvertTo-Json -Depth 20 | Set-Content -LiteralPath $script:StateFile -Encoding utf8NoBOM
}

function global:Add-SimEvent {
    param([string]$Kind, $Detail)
    $global:Sim.seq = [int]$global:Sim.seq + 1
    $global:Sim.events += , @{ seq = $global:Sim.seq; run = $global:Sim.run; kind = $Kind; detail = $Detail }
}

# A fault armed by the test fires a given number of times at a named point, then clears.
function global:Test-SimFault {
    param([string]$Point)
    $faults = $global:Sim.faults
    if ($faults.ContainsKey($Point) -and [int]$faults[$Point] -gt 0) {
        $faults[$Point] = [int]$faults[$Point] - 1
        Add-SimEvent 'fault' $Point
        return $true
    }
    return $false
}

function global:ConvertTo-SimPath {
    # Paths a Windows program would see as C:\... map into the simulated system drive.
    param([string]$Path)
    if ($Path -match '^[A-Za-z]:[\\/](.*)$') {
        return (Join-Path $env:SystemDrive $Matches[1])
    }
    if ($Path -match '^[\\/](etc|var|run|opt|k)([\\/].*)?$') {
        return (Join-Path $env:SystemDrive $Path.TrimStart('\', '/'))
    }
    return $Path
}

# ------------------------------------------------------------------------------------------
# The clock
# ------------------------------------------------------------------------------------------
function global:Start-Sleep {
    param([Parameter(Position = 0)] [double]$Seconds = 0, [int]$Milliseconds = 0)
    $global:Sim.clockOffset = [double]$global:Sim.clockOffset + $Seconds + ($Milliseconds / 1000.0)
    $global:Sim.slept = [double]$global:Sim.slept + $Seconds + ($Milliseconds / 1000.0)
}

function global:Get-Date {
    [CmdletBinding()]
    param([Parameter(Position = 0)] [datetime]$Date, [string]$Format, [switch]$AsUTC)
    if (-not $PSBoundParameters.ContainsKey('Date')) {
        $PSBoundParameters['Date'] = [datetime]::Now.AddSeconds([double]$global:Sim.clockOffset)
    }
    Microsoft.PowerShell.Utility\Get-Date @PSBoundParameters
}

# ------------------------------------------------------------------------------------------
# .NET types that only work on Windows
# ------------------------------------------------------------------------------------------
if (-not ('WinK8sSim.Identity' -as [type])) {
    # Compiling the types costs a second per PowerShell start: node-sim.ts compiles them once per
    # test run and passes the assembly.
    if ($env:WIN_K8S_SIM_ASSEMBLY -and (Microsoft.PowerShell.Management\Test-Path -LiteralPath $env:WIN_K8S_SIM_ASSEMBLY)) {
        Add-Type -Path $env:WIN_K8S_SIM_ASSEMBLY
    }
    else {
        Add-Type -TypeDefinition (Get-Content -Raw -LiteralPath (Join-Path $PSScriptRoot 'windows-sim-types.cs'))
    }
}
$accelerators = [psobject].Assembly.GetType('System.Management.Automation.TypeAccelerators')
foreach ($pair in @(
        @('Security.Principal.WindowsIdentity', [WinK8sSim.Identity]),
        @('Security.Principal.WindowsPrincipal', [WinK8sSim.Principal]),
        @('System.IO.Ports.SerialPort', [WinK8sSim.SerialPort]))) {
    [void]$accelerators::Remove($pair[0])
    $accelerators::Add($pair[0], $pair[1])
}

# Named kernel objects are per machine on Windows; on this host .NET shares named mutexes between
# all processes, so two simulated machines (two tests at once) would see each other's bootstrap
# lock. The name gets the simulated machine's identity, and the lock keeps its meaning within it.
function global:New-Object {
    [CmdletBinding()]
    param(
        [Parameter(Position = 0)] [string]$TypeName,
        [Parameter(Position = 1)] [object[]]$ArgumentList,
        [string]$ComObject,
        [System.Collections.IDictionary]$Property,
        [switch]$Strict
    )
    if ($TypeName -match '^(System\.)?Threading\.Mutex$' -and $ArgumentList.Count -ge 2) {
        $machine = [Convert]::ToHexString([Security.Cryptography.SHA256]::HashData([Text.Encoding]::UTF8.GetBytes($env:WIN_K8S_SIM_DIR))).Substring(0, 16)
        $local = @($ArgumentList)
        $local[1] = "$($local[1]).$machine"
        $PSBoundParameters['ArgumentList'] = $local
    }
    Microsoft.PowerShell.Utility\New-Object @PSBoundParameters
}

# ------------------------------------------------------------------------------------------
# Services (the Service Control Manager)
# ------------------------------------------------------------------------------------------
function global:Get-SimService {
    param([string]$Name)
    if (-not $global:Sim.services.ContainsKey($Name)) { return $null }
    $svc = $global:Sim.services[$Name]
    if ([int]$svc.markedForDeletion -gt 0) {
        # A deleted service stays listed until its last handle closes (sc.exe answers
        # "marked for deletion" meanwhile); each look counts as time passing.
        $svc.markedForDeletion = [int]$svc.markedForDeletion - 1
        if ([int]$svc.markedForDeletion -eq 0) {
            $global:Sim.services.Remove($Name)
            Add-SimEvent 'service-gone' $Name
            return $null
        }
    }
    return $svc
}

function global:Get-Service {
    [CmdletBinding()]
    param([Parameter(Position = 0)] [string]$Name)
    $svc = Get-SimService $Name
    if ($null -eq $svc) {
        Write-Error -Message "Cannot find any service with service name '$Name'." -Category ObjectNotFound -ErrorId 'NoServiceFoundForGivenName,Microsoft.PowerShell.Commands.GetServiceCommand'
        return
    }
    [pscustomobject]@{ Name = $Name; Status = $svc.status; StartType = $svc.startupType; DisplayName = $svc.displayName }
}

function global:Start-SimService {
    param([string]$Name)
    $svc = Get-SimService $Name
    if ($null -eq $svc) { throw "Cannot find any service with service name '$Name'." }
    if ([int]$svc.markedForDeletion -gt 0) { throw "Service '$Name' cannot be started: the specified service has been marked for deletion." }
    foreach ($dep in @($svc.dependsOn)) {
        if ($dep) { Start-SimService $dep }
    }
    if ($svc.status -ne 'Running') {
        if (Test-SimFault "start-service:$Name") {
            throw "Service '$Name ($Name)' cannot be started due to the following error: Cannot start service $Name on computer '.'."
        }
        $svc.status = 'Running'
        Add-SimEvent 'service-start' $Name
    }
}

function global:Start-Service {
    [CmdletBinding()]
    param([Parameter(Position = 0)] [string]$Name)
    Start-SimService $Name
}

function global:Stop-Service {
    [CmdletBinding()]
    param([Parameter(Position = 0)] [string]$Name, [switch]$Force)
    $svc = Get-SimService $Name
    if ($null -eq $svc) { throw "Cannot find any service with service name '$Name'." }
    foreach ($other in @($global:Sim.services.Keys)) {
        $dependent = $global:Sim.services[$other]
        if (@($dependent.dependsOn) -contains $Name -and $dependent.status -eq 'Running') {
            if (-not $Force) { throw "Cannot stop service '$Name' because it has dependent services." }
            $dependent.status = 'Stopped'
        }
    }
    $svc.status = 'Stopped'
    Add-SimEvent 'service-stop' $Name
}

function global:Set-Service {
    [CmdletBinding()]
    param([Parameter(Position = 0)] [string]$Name, [string]$StartupType)
    $svc = Get-SimService $Name
    if ($null -eq $svc) { throw "Service '$Name' was not found on computer '.'." }
    if ($StartupType) { $svc.startupType = $StartupType }
}

function global:New-SimServiceRecord {
    param([string]$Name, [string]$BinaryPath, [string]$StartupType, [string]$DisplayName, [string[]]$DependsOn)
    if ($global:Sim.services.ContainsKey($Name)) {
        if ([int]$global:Sim.services[$Name].markedForDeletion -gt 0) {
            [void](Get-SimService $Name)
            throw "Service '$Name ($Name)' cannot be created due to the following error: The specified service has been marked for deletion."
        }
        throw "Service '$Name ($Name)' cannot be created due to the following error: The specified service already exists."
    }
    $global:Sim.services[$Name] = @{
        binaryPath = $BinaryPath; startupType = $StartupType; displayName = $DisplayName
        dependsOn = @($DependsOn | Where-Object { $_ }); status = 'Stopped'; markedForDeletion = 0
        recovery = $null; failureFlag = $null
    }
    Add-SimEvent 'service-create' @{ name = $Name; binaryPath = $BinaryPath }
}

function global:New-Service {
    [CmdletBinding()]
    param([string]$Name, [string]$BinaryPathName, [string]$StartupType = 'Automatic', [string]$DisplayName, [string[]]$DependsOn = @())
    if (Test-SimFault "new-service:$Name") { throw "Service '$Name ($Name)' cannot be created due to the following error: The specified service has been marked for deletion." }
    foreach ($dep in $DependsOn) {
        if (-not $global:Sim.services.ContainsKey($dep)) { throw "Service '$Name' cannot be created: the dependency service '$dep' does not exist." }
    }
    New-SimServiceRecord -Name $Name -BinaryPath $BinaryPathName -StartupType $StartupType -DisplayName $DisplayName -DependsOn $DependsOn
    [pscustomobject]@{ Name = $Name; Status = 'Stopped' }
}

# ------------------------------------------------------------------------------------------
# Features, computer name, restart
# ------------------------------------------------------------------------------------------
function global:Get-WindowsFeature {
    [CmdletBinding()]
    param([string]$Name)
    if (-not $global:Sim.features.ContainsKey($Name)) { throw "ArgumentException: the feature name $Name is not valid" }
    [pscustomobject]@{ Name = $Name; Installed = [bool]$global:Sim.features[$Name] }
}

function global:Install-WindowsFeature {
    [CmdletBinding()]
    param([string]$Name, [switch]$IncludeManagementTools)
    if ($Name -eq 'Hyper-V' -and -not $global:Sim.nestedVirtualization) {
        throw 'Hyper-V cannot be installed: The processor does not have required virtualization capabilities.'
    }
    if (Test-SimFault "install-feature:$Name") {
        return [pscustomobject]@{ Success = $false; RestartNeeded = 'No'; ExitCode = 'Failed' }
    }
    $global:Sim.features[$Name] = $true
    Add-SimEvent 'feature-install' $Name
    [pscustomobject]@{ Success = $true; RestartNeeded = 'Yes'; ExitCode = 'SuccessRestartRequired' }
}

function global:Rename-Computer {
    [CmdletBinding()]
    param([string]$NewName, [switch]$Force)
    $global:Sim.pendingComputerName = $NewName
    Add-SimEvent 'rename' $NewName
}

function global:Get-CimInstance {
    [CmdletBinding()]
    param([string]$ClassName, [string]$Filter)
    if ($ClassName -ne 'Win32_LogicalDisk') { throw "CIM class $ClassName is not simulated" }
    if (Test-SimFault 'cim') { throw 'The RPC server is unavailable. (Exception from HRESULT: 0x800706BA)' }
    [pscustomobject]@{ DeviceID = 'C:'; FreeSpace = [double]$global:Sim.freeBytes; Size = 136365211648 }
}

# ------------------------------------------------------------------------------------------
# The registry (only the keys the bootstrap uses) and named pipes
# ------------------------------------------------------------------------------------------
function global:Get-ItemProperty {
    [CmdletBinding()]
    param([Parameter(Position = 0)] [string]$Path, [Parameter(Position = 1)] [string[]]$Name, [string]$LiteralPath)
    if ($Path -like 'HKLM:*') {
        if ($Path -eq 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion') {
            return [pscustomobject]@{ CurrentBuildNumber = [string]$global:Sim.build; ProductName = 'Windows Server Datacenter' }
        }
        $key = $global:Sim.registry[$Path]
        if ($null -eq $key) { throw "Cannot find path '$Path' because it does not exist." }
        return [pscustomobject]$key
    }
    Microsoft.PowerShell.Management\Get-ItemProperty @PSBoundParameters
}

function global:New-ItemProperty {
    [CmdletBinding()]
    param([string]$Path, [string]$Name, [string]$PropertyType, $Value, [switch]$Force)
    if ($Path -notlike 'HKLM:*') { throw 'only HKLM is simulated' }
    if ($Path -match '^HKLM:\\SYSTEM\\CurrentControlSet\\Services\\(.+)$' -and -not $global:Sim.services.ContainsKey($Matches[1])) {
        throw "Cannot find path '$Path' because it does not exist."
    }
    if (-not $global:Sim.registry.ContainsKey($Path)) { $global:Sim.registry[$Path] = @{} }
    $global:Sim.registry[$Path][$Name] = @{ type = $PropertyType; value = @($Value) }
    Add-SimEvent 'registry' @{ path = $Path; name = $Name }
}

function global:Test-Path {
    [CmdletBinding()]
    param([Parameter(Position = 0)] [string]$Path, [string]$LiteralPath, [string]$PathType)
    $p = $LiteralPath
    if (-not $p) { $p = $Path }
    if ($p -like '\\.\pipe\*') {
        $pipe = $p.Substring(9)
        return (@(Get-SimOpenPipes) -contains $pipe)
    }
    Microsoft.PowerShell.Management\Test-Path @PSBoundParameters
}

function global:Get-SimOpenPipes {
    $pipes = @()
    foreach ($name in $global:Sim.services.Keys) {
        $svc = $global:Sim.services[$name]
        if ($svc.status -ne 'Running') { continue }
        if ($name -eq 'containerd' -and -not (Test-SimFault 'containerd-pipe')) { $pipes += 'containerd-containerd' }
        if ($name -eq 'docker') { $pipes += 'docker_engine' }
        if ($name -eq 'kubelet' -and $global:Sim.runtime -eq 'docker' -and [int]$global:Sim.kubernetesMinor -lt 24) { $pipes += 'dockershim' }
    }
    foreach ($task in $global:Sim.tasks.Keys) {
        if ($task -eq 'win-k8s-cri-dockerd' -and [int]$global:Sim.tasks[$task].started -gt 0) { $pipes += 'cri-dockerd' }
    }
    return $pipes
}

# ------------------------------------------------------------------------------------------
# Scheduled tasks
# ------------------------------------------------------------------------------------------
function global:New-ScheduledTaskAction { param([string]$Execute, [string]$Argument) [pscustomobject]@{ Execute = $Execute; Arguments = $Argument } }
function global:New-ScheduledTaskTrigger { param([switch]$AtStartup) [pscustomobject]@{ AtStartup = [bool]$AtStartup } }
function global:New-ScheduledTaskPrincipal { param([string]$UserId, [string]$LogonType, [string]$RunLevel) [pscustomobject]@{ UserId = $UserId; LogonType = $LogonType; RunLevel = $RunLevel } }
function global:New-TimeSpan { param([int]$Hours = 0, [int]$Minutes = 0, [int]$Seconds = 0) [TimeSpan]::new($Hours, $Minutes, $Seconds) }
function global:New-ScheduledTaskSettingsSet {
    param($ExecutionTimeLimit, [int]$RestartCount, $RestartInterval, [switch]$AllowStartIfOnBatteries, [switch]$DontStopIfGoingOnBatteries)
    [pscustomobject]@{ ExecutionTimeLimit = [string]$ExecutionTimeLimit; RestartCount = $RestartCount }
}

function global:Register-ScheduledTask {
    [CmdletBinding()]
    param([string]$TaskName, $Action, $Trigger, $Principal, $Settings, [switch]$Force)
    if ($global:Sim.tasks.ContainsKey($TaskName) -and -not $Force) { throw "Cannot create a file when that file already exists. ($TaskName)" }
    $global:Sim.tasks[$TaskName] = @{
        execute = $Action.Execute; argument = $Action.Arguments; atStartup = [bool]$Trigger.AtStartup
        user = $Principal.UserId; runLevel = $Principal.RunLevel; started = 0
    }
    Add-SimEvent 'task-register' $TaskName
}

function global:Get-ScheduledTask {
    [CmdletBinding()]
    param([string]$TaskName)
    if ($global:Sim.tasks.ContainsKey($TaskName)) { return [pscustomobject]@{ TaskName = $TaskName } }
    Write-Error -Message "No MSFT_ScheduledTask objects found with property 'TaskName' equal to '$TaskName'." -Category ObjectNotFound
}

function global:Unregister-ScheduledTask {
    [CmdletBinding()]
    param([string]$TaskName, [switch]$Confirm)
    if (-not $global:Sim.tasks.ContainsKey($TaskName)) { throw "No MSFT_ScheduledTask objects found with property 'TaskName' equal to '$TaskName'." }
    $global:Sim.tasks.Remove($TaskName)
    Add-SimEvent 'task-unregister' $TaskName
}

function global:Start-ScheduledTask {
    [CmdletBinding()]
    param([string]$TaskName)
    if (-not $global:Sim.tasks.ContainsKey($TaskName)) { throw "The system cannot find the file specified. ($TaskName)" }
    $task = $global:Sim.tasks[$TaskName]
    $task.started = [int]$task.started + 1
    Add-SimEvent 'task-start' $TaskName
    Invoke-SimSupervised -Task $task
}

# What a supervised program does when its task starts: the sim reads the supervisor script the
# bootstrap wrote (PowerShell's own parser), checks the program it runs exists, and plays the
# part of the programs the bootstrap waits for.
function global:Invoke-SimSupervised {
    param($Task)
    if ($Task.argument -notmatch '-File "([^"]+)"') { return }
    $supervisor = $Matches[1]
    $tokens = $null; $errors = $null
    $ast = [System.Management.Automation.Language.Parser]::ParseFile($supervisor, [ref]$tokens, [ref]$errors)
    if ($errors.Count -gt 0) { throw "supervisor script $supervisor does not parse: $($errors[0].Message)" }
    $call = $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.CommandAst] -and $n.InvocationOperator -eq 'Ampersand' -and $n.CommandElements[0] -is [System.Management.Automation.Language.StringConstantExpressionAst] -and $n.CommandElements[0].Value -like '*.exe' }, $true) | Select-Object -First 1
    if ($null -eq $call) { throw "supervisor script $supervisor runs no program" }
    $exe = $call.CommandElements[0].SafeGetValue()
    if (-not (Microsoft.PowerShell.Management\Test-Path -LiteralPath $exe)) { throw "supervised program $exe does not exist" }
    $assign = $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.AssignmentStatementAst] -and $n.Left.Extent.Text -eq '$arguments' }, $true) | Select-Object -First 1
    $arguments = @()
    if ($assign) { $arguments = @($assign.Right.Expression.SafeGetValue()) }
    Add-SimEvent 'supervised-run' @{ exe = $exe; arguments = $arguments; script = (Get-Content -Raw -LiteralPath $supervisor) }
    if ((Split-Path -Leaf $exe) -eq 'flanneld.exe') {
        Invoke-SimFlanneld -Arguments $arguments
    }
}

function global:Get-SimFlag {
    param([string[]]$Arguments, [string]$Name)
    foreach ($a in $Arguments) {
        if ($a -like "--$Name=*") { return $a.Substring($Name.Length + 3) }
    }
    return $null
}

function global:Invoke-SimFlanneld {
    param([string[]]$Arguments)
    # flanneld reads its net-conf and the node's kubeconfig, takes the node's pod CIDR from the
    # API (kube-subnet-mgr) and writes subnet.env with the first address of that subnet
    # (flannel pkg/subnet WriteSubnetFile: sn.IncrementIP()).
    $netConfPath = ConvertTo-SimPath (Get-SimFlag $Arguments 'net-config-path')
    $kubeconfig = ConvertTo-SimPath (Get-SimFlag $Arguments 'kubeconfig-file')
    if (-not (Microsoft.PowerShell.Management\Test-Path -LiteralPath $netConfPath)) { throw "flanneld: net-conf $netConfPath missing" }
    if (-not (Microsoft.PowerShell.Management\Test-Path -LiteralPath $kubeconfig)) { throw "flanneld: kubeconfig $kubeconfig missing" }
    $netConf = Get-Content -Raw -LiteralPath $netConfPath | ConvertFrom-Json
    $podCidr = [string]$global:Sim.podCidr
    $prefix = $podCidr.Split('/')[1]
    $octets = $podCidr.Split('/')[0].Split('.')
    $first = '{0}.{1}.{2}.{3}' -f $octets[0], $octets[1], $octets[2], ([int]$octets[3] + 1)
    $dir = Join-Path $env:SystemDrive 'run\flannel'
    New-Item -ItemType Directory -Force -Path $dir | Out-Null
    $lines = @("FLANNEL_NETWORK=$($netConf.Network)", "FLANNEL_SUBNET=$first/$prefix", 'FLANNEL_MTU=1450', 'FLANNEL_IPMASQ=true')
    [IO.File]::WriteAllText((Join-Path $dir 'subnet.env'), (($lines -join "`n") + "`n"))
    $global:Sim.hnsNetworks += , @{ Name = "flannel.$($netConf.Backend.VNI)"; Type = 'Overlay'; AddressPrefix = $podCidr }
}

# ------------------------------------------------------------------------------------------
# Firewall, Defender, addresses
# ------------------------------------------------------------------------------------------
function global:Get-NetFirewallRule {
    [CmdletBinding()]
    param([string]$Name)
    if ($global:Sim.firewall.ContainsKey($Name)) { return [pscustomobject]$global:Sim.firewall[$Name] }
    Write-Error -Message "No MSFT_NetFirewallRule objects found with property 'Name' equal to '$Name'." -Category ObjectNotFound
}

function global:New-NetFirewallRule {
    [CmdletBinding()]
    param([string]$Name, [string]$DisplayName, [string]$Direction, [string]$Action, [string]$Protocol, [string]$LocalPort)
    if (Test-SimFault "firewall:$Name") { throw 'The specified object already exists or the RPC server is unavailable.' }
    if ($global:Sim.firewall.ContainsKey($Name)) { throw "Cannot create a file when that file already exists. ($Name)" }
    $global:Sim.firewall[$Name] = @{ Name = $Name; DisplayName = $DisplayName; Direction = $Direction; Action = $Action; Protocol = $Protocol; LocalPort = $LocalPort }
    Add-SimEvent 'firewall' $Name
}

function global:Add-MpPreference {
    [CmdletBinding()]
    param([string[]]$ExclusionPath = @(), [string[]]$ExclusionProcess = @())
    $global:Sim.defender.paths += $ExclusionPath
    $global:Sim.defender.processes += $ExclusionProcess
}

function global:Get-NetRoute {
    [CmdletBinding()]
    param([string]$DestinationPrefix)
    foreach ($r in $global:Sim.routes) {
        if (-not $DestinationPrefix -or $r.DestinationPrefix -eq $DestinationPrefix) { [pscustomobject]$r }
    }
}

function global:Get-NetIPAddress {
    [CmdletBinding()]
    param([int]$InterfaceIndex, [string]$AddressFamily)
    foreach ($a in $global:Sim.addresses) {
        if ([int]$a.InterfaceIndex -eq $InterfaceIndex) { [pscustomobject]$a }
    }
}

# ------------------------------------------------------------------------------------------
# The network
# ------------------------------------------------------------------------------------------
function global:ConvertTo-SimUrl {
    param([string]$Uri)
    if ($Uri -notmatch '^https?://([^/]+)(/.*)?$') { throw "not a URL: $Uri" }
    return ('{0}/{1}{2}' -f $env:WIN_K8S_SIM_DOWNLOADS, $Matches[1], $Matches[2])
}

# Both web cmdlets: the request is recorded as asked (URL, proxy, proxy user, basic parsing),
# then sent by the real cmdlet to the loopback host without the proxy.
function global:Invoke-SimWeb {
    param([string]$Cmdlet, [hashtable]$Bound)
    $user = $null
    if ($Bound['ProxyCredential']) { $user = $Bound['ProxyCredential'].UserName }
    Add-SimEvent 'http' @{ uri = $Bound['Uri']; proxy = $Bound['Proxy']; proxyUser = $user; basic = [bool]$Bound['UseBasicParsing'] }
    $Bound['Uri'] = ConvertTo-SimUrl $Bound['Uri']
    [void]$Bound.Remove('Proxy')
    [void]$Bound.Remove('ProxyCredential')
    & "Microsoft.PowerShell.Utility\$Cmdlet" @Bound
}

function global:Invoke-WebRequest {
    [CmdletBinding()]
    param([string]$Uri, [string]$OutFile, [switch]$UseBasicParsing, [string]$Proxy, [pscredential]$ProxyCredential, [hashtable]$Headers, [string]$Method)
    Invoke-SimWeb -Cmdlet 'Invoke-WebRequest' -Bound ([hashtable]$PSBoundParameters)
}

function global:Invoke-RestMethod {
    [CmdletBinding()]
    param([string]$Uri, [switch]$UseBasicParsing, [string]$Proxy, [pscredential]$ProxyCredential, [hashtable]$Headers, [string]$Method)
    Invoke-SimWeb -Cmdlet 'Invoke-RestMethod' -Bound ([hashtable]$PSBoundParameters)
}

# Runs a script body as the machine's agent would and returns its exit code; an error the
# script failed to catch is recorded (the test reports it as such); the state is saved either way.
function global:Invoke-SimRun {
    param([scriptblock]$Body)
    $code = 0
    try {
        $code = & $Body
    }
    catch {
        Add-SimEvent 'uncaught' ('{0} at {1}' -f $_.Exception.Message, $_.InvocationInfo.PositionMessage)
        [Console]::Error.WriteLine("uncaught: $($_.Exception.Message)`n$($_.InvocationInfo.PositionMessage)")
        $code = 99
    }
    finally {
        $global:Sim.exitCodes += , $code
        Save-SimState
    }
    return $code
}

# ------------------------------------------------------------------------------------------
# Native executables
# ------------------------------------------------------------------------------------------
$global:SimNatives = @{}
$global:SimSystemTools = @('icacls.exe', 'sc.exe', 'tar.exe', 'route.exe', 'w32tm.exe', 'powershell.exe', 'shutdown.exe')

# Emits a native result through a real process, so pwsh treats stdout, stderr and the exit code
# exactly as it treats kubeadm's.
function global:Write-SimNativeResult {
    param([string]$Stdout = '', [string]$Stderr = '', [int]$Code = 0)
    & /bin/sh -c 'printf "%s" "$1"; printf "%s" "$2" >&2; exit "$3"' sh $Stdout $Stderr $Code
}

$ExecutionContext.InvokeCommand.PreCommandLookupAction = {
    param($CommandName, $EventArgs)
    if ($CommandName -notlike '*.exe') { return }
    $leaf = Split-Path -Leaf $CommandName
    $path = $CommandName
    $EventArgs.StopSearch = $true
    $EventArgs.CommandScriptBlock = {
        $stdin = @($input)
        Invoke-SimNative -Leaf $leaf -Path $path -Argv $args -Stdin $stdin
    }.GetNewClosure()
}

function global:Invoke-SimNative {
    param([string]$Leaf, [string]$Path, [object[]]$Argv, [object[]]$Stdin)
    $argv = @($Argv | ForEach-Object { [string]$_ })
    $isPath = $Path -match '[\\/]'
    if ($isPath -and -not (Microsoft.PowerShell.Management\Test-Path -LiteralPath $Path)) {
        # What PowerShell says for a program that is not there.
        throw "The term '$Path' is not recognized as a name of a cmdlet, function, script file, or executable program."
    }
    if (-not $isPath -and $global:SimSystemTools -notcontains $Leaf) {
        throw "The term '$Leaf' is not recognized as a name of a cmdlet, function, script file, or executable program."
    }
    Add-SimEvent 'exec' @{ exe = $Leaf; path = $Path; argv = $argv }
    $fake = $global:SimNatives[$Leaf]
    if ($null -eq $fake) { throw "the simulator has no fake for $Leaf" }
    $r = & $fake $Path $argv $Stdin
    Write-SimNativeResult -Stdout $r.out -Stderr $r.err -Code $r.code
}

function global:Get-SimArtifactText {
    param([string]$Path)
    return (Get-Content -Raw -LiteralPath $Path)
}

$global:SimNatives['icacls.exe'] = {
    param($path, $argv, $stdin)
    $target = $argv[0]
    if (Test-SimFault 'icacls') {
        return @{ out = "$($target): Access is denied.`r`nSuccessfully processed 0 files; Failed processing 1 files`r`n"; err = ''; code = 5 }
    }
    if (-not (Microsoft.PowerShell.Management\Test-Path -LiteralPath $target)) {
        return @{ out = ''; err = "$($target): The system cannot find the file specified.`r`nSuccessfully processed 0 files; Failed processing 1 files`r`n"; code = 2 }
    }
    $item = Get-Item -LiteralPath $target
    $size = -1
    if (-not $item.PSIsContainer) { $size = $item.Length }
    $grants = @()
    $inheritance = 'kept'
    for ($i = 1; $i -lt $argv.Count; $i++) {
        if ($argv[$i] -eq '/inheritance:r') { $inheritance = 'removed' }
        elseif ($argv[$i] -eq '/grant:r' -or $argv[$i] -eq '/grant') { continue }
        elseif ($argv[$i] -like '*:*') { $grants += $argv[$i] }
        else { return @{ out = ''; err = "Invalid parameter `"$($argv[$i])`"`r`n"; code = 87 } }
    }
    $global:Sim.acl[$target] = @{ inheritance = $inheritance; grants = $grants; sizeWhenProtected = $size; seq = $global:Sim.seq }
    return @{ out = "processed file: $target`r`nSuccessfully processed 1 files; Failed processing 0 files`r`n"; err = ''; code = 0 }
}

$global:SimNatives['sc.exe'] = {
    param($path, $argv, $stdin)
    $verb = $argv[0]
    $name = $argv[1]
    $svc = Get-SimService $name
    if ($null -eq $svc) { return @{ out = "[SC] OpenService FAILED 1060:`r`n`r`nThe specified service does not exist as an installed service.`r`n"; err = ''; code = 1060 } }
    if ($verb -eq 'delete') {
        if ([int]$svc.markedForDeletion -gt 0) { return @{ out = "[SC] DeleteService FAILED 1072:`r`n`r`nThe specified service has been marked for deletion.`r`n"; err = ''; code = 1072 } }
        $svc.markedForDeletion = [int]$global:Sim.deletionLinger
        Add-SimEvent 'service-delete' $name
        return @{ out = "[SC] DeleteService SUCCESS`r`n"; err = ''; code = 0 }
    }
    if ($verb -eq 'failure') {
        $svc.recovery = ($argv[2..($argv.Count - 1)] -join ' ')
        return @{ out = "[SC] ChangeServiceConfig2 SUCCESS`r`n"; err = ''; code = 0 }
    }
    if ($verb -eq 'failureflag') {
        $svc.failureFlag = $argv[2]
        return @{ out = "[SC] ChangeServiceConfig2 SUCCESS`r`n"; err = ''; code = 0 }
    }
    return @{ out = ''; err = "sc.exe $verb is not simulated`r`n"; code = 87 }
}

$global:SimNatives['tar.exe'] = {
    param($path, $argv, $stdin)
    # Windows' tar.exe is bsdtar; GNU tar takes the same -xzf <file> -C <dir>.
    if (Test-SimFault 'tar') { return @{ out = ''; err = "tar.exe: Error opening archive: Failed to open '$($argv[1])'`r`n"; code = 1 } }
    $out = & /usr/bin/tar @argv 2>&1
    return @{ out = ''; err = (($out | ForEach-Object { "$_" }) -join "`n"); code = $LASTEXITCODE }
}

$global:SimNatives['route.exe'] = {
    param($path, $argv, $stdin)
    $dest = $argv[2]
    if ($global:Sim.persistentRoutes -contains $dest) {
        return @{ out = "The route addition failed: The object already exists.`r`n`r`n"; err = ''; code = 1 }
    }
    $global:Sim.persistentRoutes += $dest
    return @{ out = " OK!`r`n"; err = ''; code = 0 }
}

# shutdown.exe /r /t <s> schedules a restart and returns at once; the machine goes down after the
# caller has had time to exit (the test then plays the boot).
$global:SimNatives['shutdown.exe'] = {
    param($path, $argv, $stdin)
    if ($argv -notcontains '/r' -or $argv -notcontains '/t') { return @{ out = ''; err = 'shutdown.exe: only a scheduled restart (/r /t) is simulated'; code = 87 } }
    if ($global:Sim.rebootRequested) { return @{ out = ''; err = "A system shutdown has already been scheduled.(1190)`r`n"; code = 1190 } }
    $global:Sim.rebootRequested = $true
    Add-SimEvent 'restart' @{ delaySeconds = [int]$argv[[array]::IndexOf($argv, '/t') + 1] }
    return @{ out = ''; err = ''; code = 0 }
}

$global:SimNatives['w32tm.exe'] = {
    param($path, $argv, $stdin)
    return @{ out = "Sending resync command to local computer`r`nThe command completed successfully.`r`n"; err = ''; code = 0 }
}

$global:SimNatives['powershell.exe'] = {
    param($path, $argv, $stdin)
    $i = [array]::IndexOf($argv, '-File')
    if ($i -lt 0) { return @{ out = ''; err = 'powershell.exe: only -File is simulated'; code = 1 } }
    $file = $argv[$i + 1]
    Add-SimEvent 'powershell-file' $file
    $global:LASTEXITCODE = 0
    & $file
    return @{ out = ''; err = ''; code = $global:LASTEXITCODE }
}

$global:SimNatives['containerd.exe'] = {
    param($path, $argv, $stdin)
    if ($argv -contains '--register-service') {
        $config = $argv[[array]::IndexOf($argv, '--config') + 1]
        if (-not (Microsoft.PowerShell.Management\Test-Path -LiteralPath $config)) { return @{ out = ''; err = "containerd: failed to load TOML from $($config): open: The system cannot find the file specified.`n"; code = 1 } }
        if (Test-SimFault 'containerd-register') { return @{ out = ''; err = "containerd: failed to register service: Access is denied.`n"; code = 1 } }
        New-SimServiceRecord -Name 'containerd' -BinaryPath ('"{0}" --config "{1}" --run-service' -f $path, $config) -StartupType 'Manual' -DisplayName 'containerd' -DependsOn @()
        return @{ out = ''; err = "time=`"2026-01-01T00:00:00Z`" level=info msg=`"registered service`"`n"; code = 0 }
    }
    return @{ out = ''; err = 'containerd: only --register-service is simulated'; code = 1 }
}

$global:SimNatives['dockerd.exe'] = {
    param($path, $argv, $stdin)
    if ($argv -contains '--register-service') {
        New-SimServiceRecord -Name 'docker' -BinaryPath ('"{0}" --run-service' -f $path) -StartupType 'Automatic' -DisplayName 'Docker Engine' -DependsOn @()
        return @{ out = ''; err = ''; code = 0 }
    }
    return @{ out = ''; err = 'dockerd: only --register-service is simulated'; code = 1 }
}

$global:SimNatives['kubelet.exe'] = {
    param($path, $argv, $stdin)
    if ($argv -contains '--version') {
        $text = Get-SimArtifactText $path
        if ($text -notmatch 'kubelet v(\S+)') { return @{ out = ''; err = 'not a kubelet binary'; code = 1 } }
        return @{ out = "Kubernetes v$($Matches[1])`r`n"; err = ''; code = 0 }
    }
    return @{ out = ''; err = 'kubelet: only --version is simulated'; code = 1 }
}

function global:Remove-SimKubeadmFiles {
    foreach ($rel in @('etc\kubernetes\pki\ca.crt', 'etc\kubernetes\kubelet.conf', 'etc\kubernetes\bootstrap-kubelet.conf', 'var\lib\kubelet\config.yaml', 'var\lib\kubelet\kubeadm-flags.env', 'var\lib\kubelet\pki\kubelet-client-current.pem')) {
        $p = Join-Path $env:SystemDrive $rel
        if (Microsoft.PowerShell.Management\Test-Path -LiteralPath $p) { Remove-Item -LiteralPath $p -Force }
    }
}

$global:SimNatives['kubeadm.exe'] = {
    param($path, $argv, $stdin)
    $verb = $argv[0]
    $kube = Join-Path $env:SystemDrive 'etc\kubernetes'
    if ($verb -eq 'reset') {
        if ($global:Sim.services.ContainsKey('kubelet')) { $global:Sim.services['kubelet'].status = 'Stopped' }
        Remove-SimKubeadmFiles
        Add-SimEvent 'kubeadm-reset' $argv
        return @{ out = "[reset] Stopping the kubelet service`r`n[reset] Deleting contents of directories: [/etc/kubernetes/manifests /var/lib/kubelet /etc/kubernetes/pki]`r`n"; err = "W0101 00:00:00.000000    4242 reset.go:120] [reset] Unable to fetch the kubeadm-config ConfigMap from cluster: failed to get config map`r`n"; code = 0 }
    }
    if ($verb -ne 'join') { return @{ out = ''; err = "kubeadm: $verb is not simulated"; code = 1 } }
    $config = $argv[[array]::IndexOf($argv, '--config') + 1]
    if (-not (Microsoft.PowerShell.Management\Test-Path -LiteralPath $config)) { return @{ out = ''; err = "open $($config): The system cannot find the file specified.`r`n"; code = 1 } }
    $text = Get-Content -Raw -LiteralPath $config
    Add-SimEvent 'kubeadm-join' @{ config = $text; argv = $argv; aclOnConfig = $global:Sim.acl[$config] }
    # Preflight: files an earlier, half-finished join left behind make kubeadm refuse.
    $leftovers = @()
    foreach ($rel in @('etc\kubernetes\kubelet.conf', 'etc\kubernetes\bootstrap-kubelet.conf', 'etc\kubernetes\pki\ca.crt')) {
        if (Microsoft.PowerShell.Management\Test-Path -LiteralPath (Join-Path $env:SystemDrive $rel)) { $leftovers += '/' + $rel.Replace('\', '/') }
    }
    $warnings = "`t[WARNING Hostname]: hostname `"$($env:COMPUTERNAME.ToLowerInvariant())`" could not be reached`r`n"
    if ($leftovers.Count -gt 0) {
        $errs = ($leftovers | ForEach-Object { "`t[ERROR FileAvailable-$($_.TrimStart('/').Replace('/', '-'))]: $_ already exists" }) -join "`r`n"
        return @{ out = "[preflight] Running pre-flight checks`r`n"; err = "$warnings" + "error execution phase preflight: [preflight] Some fatal errors occurred:`r`n$errs`r`n[preflight] If you know what you are doing, you can make a check non-fatal with ``--ignore-preflight-errors=...```r`nTo see the stack trace of this error execute with --v=5 or higher`r`n"; code = 1 }
    }
    if (-not $global:Sim.services.ContainsKey('kubelet')) {
        return @{ out = ''; err = "error execution phase kubelet-start: the kubelet service is not registered`r`n"; code = 1 }
    }
    New-Item -ItemType Directory -Force -Path (Join-Path $kube 'pki'), (Join-Path $env:SystemDrive 'var\lib\kubelet\pki') | Out-Null
    Set-Content -LiteralPath (Join-Path $kube 'pki\ca.crt') -Value "-----BEGIN CERTIFICATE-----`nfake cluster CA`n-----END CERTIFICATE-----" -Encoding ascii
    Set-Content -LiteralPath (Join-Path $kube 'bootstrap-kubelet.conf') -Value 'apiVersion: v1' -Encoding ascii
    $out = "[preflight] Running pre-flight checks`r`n[preflight] Reading configuration from the cluster...`r`n[kubelet-start] Writing kubelet configuration to file `"\\var\\lib\\kubelet\\config.yaml`"`r`n[kubelet-start] Starting the kubelet`r`n[kubelet-start] Waiting for the kubelet to perform the TLS Bootstrap...`r`n"
    if (Test-SimFault 'kubeadm-join') {
        return @{ out = $out; err = "$warnings" + "error execution phase kubelet-start: timed out waiting for the condition`r`nTo see the stack trace of this error execute with --v=5 or higher`r`n"; code = 1 }
    }
    Set-Content -LiteralPath (Join-Path $env:SystemDrive 'var\lib\kubelet\config.yaml') -Value 'apiVersion: kubelet.config.k8s.io/v1beta1' -Encoding ascii
    Set-Content -LiteralPath (Join-Path $env:SystemDrive 'var\lib\kubelet\pki\kubelet-client-current.pem') -Value 'fake client cert and key' -Encoding ascii
    Set-Content -LiteralPath (Join-Path $kube 'kubelet.conf') -Value 'apiVersion: v1' -Encoding ascii
    Remove-Item -LiteralPath (Join-Path $kube 'bootstrap-kubelet.conf') -Force
    Start-SimService 'kubelet'
    $out += "`r`nThis node has joined the cluster:`r`n* Certificate signing request was sent to apiserver and a response was received.`r`n"
    return @{ out = $out; err = $warnings; code = 0 }
}

# host-local IPAM as containernetworking/plugins implements it: CNI config on stdin, the command
# in CNI_* variables, leases under dataDir/<network>/<ip>, errors as JSON on stdout.
$global:SimNatives['host-local.exe'] = {
    param($path, $argv, $stdin)
    $conf = ($stdin -join "`n") | ConvertFrom-Json
    $cmd = $env:CNI_COMMAND
    $cid = $env:CNI_CONTAINERID
    $ifname = $env:CNI_IFNAME
    $fail = { param($code, $msg) @{ out = (@{ cniVersion = $conf.cniVersion; code = $code; msg = $msg } | ConvertTo-Json -Compress); err = ''; code = 1 } }
    if ($cmd -ne 'ADD') { return (& $fail 4 "command $cmd is not simulated") }
    if (-not $cid) { return (& $fail 4 'required env variables [CNI_CONTAINERID] missing') }
    $subnet = [string]$conf.ipam.ranges[0][0].subnet
    $ip, $bits = $subnet.Split('/')
    $addr = [System.Net.IPAddress]::Parse($ip).GetAddressBytes()
    [Array]::Reverse($addr)
    $value = [BitConverter]::ToUInt32($addr, 0)
    $mask = [uint32]([math]::Pow(2, 32) - [math]::Pow(2, 32 - [int]$bits))
    if (($value -band $mask) -ne $value) {
        return (& $fail 11 "invalid range set 0: Network has host bits set. For a subnet mask of length $bits the network address is $(Get-SimNetworkAddress $value $mask)")
    }
    $dataDir = Join-Path ([string]$conf.ipam.dataDir) ([string]$conf.name)
    New-Item -ItemType Directory -Force -Path $dataDir | Out-Null
    foreach ($lease in Get-ChildItem -LiteralPath $dataDir -File | Where-Object { $_.Name -match '^\d+\.\d+\.\d+\.\d+$' }) {
        $owner = (Get-Content -Raw -LiteralPath $lease.FullName).Split("`r`n", [StringSplitOptions]::RemoveEmptyEntries)
        if ($owner[0] -eq $cid -and $owner[1] -eq $ifname) {
            return (& $fail 11 "failed to allocate for range 0: $($lease.Name) has been allocated to $cid, duplicate allocation is not allowed")
        }
    }
    # The gateway is the subnet's first address; allocation starts after it.
    $candidate = $value + 2
    while (Microsoft.PowerShell.Management\Test-Path -LiteralPath (Join-Path $dataDir (Get-SimNetworkAddress $candidate ([uint32]::MaxValue)))) { $candidate++ }
    $leaseIp = Get-SimNetworkAddress $candidate ([uint32]::MaxValue)
    [IO.File]::WriteAllText((Join-Path $dataDir $leaseIp), "$cid`r`n$ifname")
    $gateway = Get-SimNetworkAddress ($value + 1) ([uint32]::MaxValue)
    $result = [ordered]@{ cniVersion = $conf.cniVersion; ips = @([ordered]@{ version = '4'; address = "$leaseIp/$bits"; gateway = $gateway }); dns = @{} }
    return @{ out = ($result | ConvertTo-Json -Depth 5); err = ''; code = 0 }
}

function global:Get-SimNetworkAddress {
    param([uint32]$Value, [uint32]$Mask)
    $v = $Value -band $Mask
    return '{0}.{1}.{2}.{3}' -f (($v -shr 24) -band 255), (($v -shr 16) -band 255), (($v -shr 8) -band 255), ($v -band 255)
}
