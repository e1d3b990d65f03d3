<#
  win-k8s node bootstrap for win-abcde: Windows Server 2025, Kubernetes 1.37.1, containerd 2.3.4, CNI calico. Rendered by win-k8s 0.1.0.
  Run as Administrator: powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\bootstrap.ps1
  Idempotent: a re-run resumes at the first unfinished phase (markers in C:\ProgramData\win-k8s\state);
  log in C:\ProgramData\win-k8s\bootstrap.log, one line per phase on COM1. This file carries a
  bootstrap token: keep it private. The copy saved for a reboot is deleted once the join has run.
#>
$ErrorActionPreference = 'Stop'
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version 3.0

$WinK8s = @{
RenderedBy = '0.1.0'
NodeName = 'win-abcde'
WindowsVersion = '2025'
WindowsBuild = 26100
KubernetesVersion = '1.37.1'
Runtime = 'containerd'
Cni = 'calico'
ApiServer = '10.0.0.10:6443'
CriSocket = 'npipe:////./pipe/containerd-containerd'
CrictlEndpoint = 'npipe:////./pipe/containerd-containerd'
SandboxImage = 'registry.k8s.io/pause:3.10.2'
HypervIsolation = $true
UseKubeLogRunner = $true
LogRunnerRotates = $true
KubeletFlags = @(
        '--windows-service',
        '--config=C:\var\lib\kubelet\config.yaml',
        '--bootstrap-kubeconfig=C:\etc\kubernetes\bootstrap-kubelet.conf',
        '--kubeconfig=C:\etc\kubernetes\kubelet.conf',
        '--cert-dir=C:\var\lib\kubelet\pki',
        '--hostname-override=win-abcde',
        '--cgroups-per-qos=false',
        '--enforce-node-allocatable=',
        '--resolv-conf=',
        '--container-runtime-endpoint=npipe:////./pipe/containerd-containerd',
        '--windows-priorityclass=ABOVE_NORMAL_PRIORITY_CLASS',
        '--node-labels=team=payments',
        '--register-with-taints=os=windows:NoSchedule'
    )
KubeProxyFlags = @()
FlannelVni = 4096
FlannelPort = 4789
ContainerdConfig = 'version = 3
root = ''__WIN_K8S_CONTAINERD_ROOT__''
state = ''__WIN_K8S_CONTAINERD_STATE__''

[grpc]
  address = ''\\.\pipe\containerd-containerd''

[plugins.''io.containerd.cri.v1.images''.pinned_images]
  sandbox = ''registry.k8s.io/pause:3.10.2''

[plugins.''io.containerd.cri.v1.runtime''.cni]
  bin_dirs = [''__WIN_K8S_CNI_BIN_DIR__'']
  conf_dir = ''__WIN_K8S_CNI_CONF_DIR__''

[plugins.''io.containerd.cri.v1.runtime''.containerd]
  default_runtime_name = ''runhcs-wcow-process''

[plugins.''io.containerd.cri.v1.runtime''.containerd.runtimes.runhcs-wcow-process]
  runtime_type = ''io.containerd.runhcs.v1''

[plugins.''io.containerd.cri.v1.runtime''.containerd.runtimes.runhcs-wcow-hypervisor]
  runtime_type = ''io.containerd.runhcs.v1''
  pod_annotations = [''io.microsoft.virtualmachine.*'']
  container_annotations = [''io.microsoft.container.*'']

[plugins.''io.containerd.cri.v1.runtime''.containerd.runtimes.runhcs-wcow-hypervisor.options]
  SandboxIsolation = 1
  ScaleCpuLimitsToSandbox = true
'
FlannelNetConf = ''
FlannelCniConf = ''
JoinConfiguration = 'apiVersion: kubeadm.k8s.io/v1beta4
kind: JoinConfiguration
discovery:
  bootstrapToken:
    apiServerEndpoint: ''10.0.0.10:6443''
    token: ''__WIN_K8S_BOOTSTRAP_TOKEN__''
    caCertHashes:
    - ''sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef''
nodeRegistration:
  name: ''win-abcde''
  criSocket: ''npipe:////./pipe/containerd-containerd''
'
HttpProxy = ''
HttpsProxy = ''
NoProxy = @()
}

$Artifacts = @(
    @{ Name = 'kubelet'; Url = 'https://dl.k8s.io/release/v1.37.1/bin/windows/amd64/kubelet.exe'; Checksum = 'sidecar:.sha256' },
    @{ Name = 'kubeadm'; Url = 'https://dl.k8s.io/release/v1.37.1/bin/windows/amd64/kubeadm.exe'; Checksum = 'sidecar:.sha256' },
    @{ Name = 'kube-log-runner'; Url = 'https://dl.k8s.io/release/v1.37.1/bin/windows/amd64/kube-log-runner.exe'; Checksum = 'sidecar:.sha256' },
    @{ Name = 'containerd'; Url = 'https://github.com/containerd/containerd/releases/download/v2.3.4/containerd-2.3.4-windows-amd64.tar.gz'; Checksum = 'sidecar:.sha256sum' },
    @{ Name = 'crictl'; Url = 'https://github.com/kubernetes-sigs/cri-tools/releases/download/v1.36.0/crictl-v1.36.0-windows-amd64.tar.gz'; Checksum = 'sidecar:.sha256' }
)

$BootstrapToken = 'abcdef.0123456789abcdef'
if (-not $env:SystemDrive -or -not $env:ProgramData -or -not $env:ProgramFiles) {
throw 'SystemDrive, ProgramData and ProgramFiles must be set'
}
$SystemDrive = $env:SystemDrive
$StateRoot = Join-Path $env:ProgramData 'win-k8s'
$StateDir = Join-Path $StateRoot 'state'
$LogFile = Join-Path $StateRoot 'bootstrap.log'
$SavedScript = Join-Path $StateRoot 'bootstrap.ps1'
$TaskName = 'win-k8s-bootstrap'
$KubeDir = Join-Path $SystemDrive 'k'
$CniBinDir = Join-Path $SystemDrive 'opt\cni\bin'
$CniConfDir = Join-Path $SystemDrive 'etc\cni\net.d'
$LogRoot = Join-Path $SystemDrive 'var\log'
$KubernetesDir = Join-Path $SystemDrive 'etc\kubernetes'
$KubeletDir = Join-Path $SystemDrive 'var\lib\kubelet'
$KubeletKubeconfig = Join-Path $KubernetesDir 'kubelet.conf'
$FlannelRunDir = Join-Path $SystemDrive 'run\flannel'

function Protect-Text {
param([AllowNull()] [string]$Text)
if ($null -eq $Text) {
return ''
}
$out = $Text
if ($BootstrapToken) {
$out = $out.Replace($BootstrapToken, '<redacted>')
$secretPart = ($BootstrapToken -split '\.')[-1]
if ($secretPart.Length -ge 8) {
$out = $out.Replace($secretPart, '<redacted>')
}
}
$out = $out -replace '(https?://)[^/\s:@]+:[^/\s@]+@', '$1<redacted>@'
return $out
}

function Add-LogText {
param([Parameter(Mandatory)] [AllowEmptyString()] [string]$Text)
[IO.File]::AppendAllText($LogFile, $Text + "`r`n", (New-Object Text.UTF8Encoding -ArgumentList $false))
}

function Write-Log {
param([Parameter(Mandatory)] [AllowEmptyString()] [string]$Message)
$line = '{0} {1}' -f (Get-Date -Format 'yyyy-MM-ddTHH:mm:ssK'), (Protect-Text $Message)
Add-LogText -Text $line
Write-Host $line
}

function Write-SerialConsole {
param([Parameter(Mandatory)] [string]$Line)
try {
$port = New-Object System.IO.Ports.SerialPort -ArgumentList 'COM1', 115200, 'None', 8, 'One'
$port.WriteTimeout = 2000
$port.Open()
$port.WriteLine((Protect-Text $Line))
$port.Close()
}
catch {
Add-LogText -Text ('(COM1 unavailable: {0})' -f $_.Exception.Message)
}
}

function Write-Phase {
param(
[Parameter(Mandatory)] [string]$Phase,
[Parameter(Mandatory)] [ValidateSet('started', 'done', 'failed')] [string]$State,
[string]$Detail = ''
)
$line = ('win-k8s: {0} {1} {2}' -f $Phase, $State, $Detail).TrimEnd()
Write-Log $line
Write-SerialConsole $line
}

function Test-PhaseDone {
param([Parameter(Mandatory)] [string]$Phase)
return (Test-Path -LiteralPath (Join-Path $StateDir "$Phase.done"))
}

function Set-PhaseDone {
param([Parameter(Mandatory)] [string]$Phase)
Set-Content -LiteralPath (Join-Path $StateDir "$Phase.done") -Value (Get-Date -Format o) -Encoding ASCII
}

function Set-RestrictedAcl {
param(
[Parameter(Mandatory)] [string]$Path,
[Parameter(Mandatory)] [string[]]$Grants
)
$result = Invoke-NativeCommand -FilePath 'icacls.exe' -ArgumentList (@($Path, '/inheritance:r', '/grant:r') + $Grants)
if ($result.ExitCode -ne 0) {
throw ('icacls could not restrict {0} (exit {1}): {2}' -f $Path, $result.ExitCode, ($result.Output -join ' '))
}
}

function New-ProtectedFile {
param([Parameter(Mandatory)] [string]$Path)
if (Test-Path -LiteralPath $Path) {
Remove-Item -LiteralPath $Path -Force
}
New-Item -ItemType File -Force -Path $Path | Out-Null
Set-RestrictedAcl -Path $Path -Grants @('*S-1-5-18:(F)', '*S-1-5-32-544:(F)')
}

function Protect-Directory {
param(
[Parameter(Mandatory)] [string]$Path,
[switch]$UsersMayRead
)
New-Item -ItemType Directory -Force -Path $Path | Out-Null
$grants = @('*S-1-5-18:(OI)(CI)(F)', '*S-1-5-32-544:(OI)(CI)(F)')
if ($UsersMayRead) {
$grants += '*S-1-5-32-545:(OI)(CI)(RX)'
}
Set-RestrictedAcl -Path $Path -Grants $grants
}

function Write-Utf8File {
param(
[Parameter(Mandatory)] [string]$Path,
[Parameter(Mandatory)] [AllowEmptyString()] [string]$Content
)
[IO.File]::WriteAllText($Path, $Content, (New-Object Text.UTF8Encoding -ArgumentList $false))
}

function Expand-NodeFile {
param([Parameter(Mandatory)] [AllowEmptyString()] [string]$Text)
$containerdData = Join-Path $env:ProgramData 'containerd'
$values = @{
'__WIN_K8S_CONTAINERD_ROOT__'  = (Join-Path $containerdData 'root')
'__WIN_K8S_CONTAINERD_STATE__' = (Join-Path $containerdData 'state')
'__WIN_K8S_CNI_BIN_DIR__'      = $CniBinDir
'__WIN_K8S_CNI_CONF_DIR__'     = $CniConfDir
}
$out = $Text
foreach ($token in $values.Keys) {
$out = $out.Replace($token, $values[$token].Replace('\', '/'))
}
if ($out.Contains('__WIN_K8S_NODE_IP__')) {
$out = $out.Replace('__WIN_K8S_NODE_IP__', (Get-NodeIPv4))
}
return $out
}

function Invoke-NativeCommand {
param(
[Parameter(Mandatory)] [string]$FilePath,
[string[]]$ArgumentList = @(),
[AllowNull()] [string]$InputText = $null
)
$ErrorActionPreference = 'Continue'
if ($null -ne $InputText) {
$raw = $InputText | & $FilePath @ArgumentList 2>&1
}
else {
$raw = & $FilePath @ArgumentList 2>&1
}
$code = $LASTEXITCODE
$lines = @($raw | ForEach-Object {
if ($_ -is [System.Management.Automation.ErrorRecord]) {
$_.Exception.Message
}
else {
[string]$_
}
})
return [pscustomobject]@{ ExitCode = $code; Output = $lines }
}

function Invoke-WithRetry {
param(
[Parameter(Mandatory)] [scriptblock]$Action,
[string]$What = 'operation',
[int]$Attempts = 5
)
for ($i = 1; $i -le $Attempts; $i++) {
try {
return (& $Action)
}
catch {
if ($i -eq $Attempts -or $_.Exception -is [System.InvalidOperationException]) {
throw
}
$delay = [Math]::Min(60, [Math]::Pow(2, $i)) + (Get-Random -Minimum 0 -Maximum 3)
Write-Log ('{0} failed (attempt {1}/{2}): {3}; retrying in {4}s' -f $What, $i, $Attempts, $_.Exception.Message, $delay)
Start-Sleep -Seconds $delay
}
}
}

function Invoke-Download {
param(
[Parameter(Mandatory)] [string]$Uri,
[Parameter(Mandatory)] [string]$OutFile
)
$proxyArgs = Get-WebProxyArguments -Uri $Uri
Invoke-WithRetry -What "download $Uri" -Action {
try {
Invoke-WebRequest -UseBasicParsing -Uri $Uri -OutFile $OutFile @proxyArgs
}
catch {
$response = $null
if ($_.Exception.PSObject.Properties['Response']) {
$response = $_.Exception.Response
}
if ($null -ne $response -and [int]$response.StatusCode -eq 404) {
throw (New-Object System.InvalidOperationException -ArgumentList "not found (HTTP 404): $Uri")
}
throw
}
} | Out-Null
}

function Get-ArtifactFileName {
param([Parameter(Mandatory)] [hashtable]$Artifact)
return $Artifact.Url.Substring($Artifact.Url.LastIndexOf('/') + 1)
}

function Get-ExpectedHash {
param([Parameter(Mandatory)] [hashtable]$Artifact)
$source = $Artifact.Checksum
$hash = $null
if ($source -like 'sha256:*') {
$hash = $source.Substring(7)
}
elseif ($source -like 'sidecar:*') {
$tmp = Join-Path $env:TEMP ('win-k8s-{0}.sum' -f [guid]::NewGuid())
Invoke-Download -Uri ($Artifact.Url + $source.Substring(8)) -OutFile $tmp
$hash = [regex]::Match([IO.File]::ReadAllText($tmp), '^\s*([0-9a-fA-F]{64})\b').Groups[1].Value
Remove-Item -LiteralPath $tmp -Force
}
elseif ($source -eq 'github' -and $Artifact.Url -match '^https://github\.com/([^/]+/[^/]+)/releases/download/([^/]+)/([^/]+)$') {
$asset = $Matches[3]
$api = 'https://api.github.com/repos/{0}/releases/tags/{1}' -f $Matches[1], $Matches[2]
$proxyArgs = Get-WebProxyArguments -Uri $api
$release = Invoke-WithRetry -What "read $api" -Action {
Invoke-RestMethod -UseBasicParsing -Uri $api -Headers @{ 'User-Agent' = 'win-k8s' } @proxyArgs
}
$found = @($release.assets | Where-Object { $_.name -eq $asset })
if ($found.Count -eq 1 -and $found[0].PSObject.Properties['digest']) {
$hash = $found[0].digest -replace '^sha256:', ''
}
}
if ($hash -notmatch '^[0-9a-fA-F]{64}$') {
throw ('no SHA-256 available for {0} ({1}); pin one with: win-k8s render --checksum {0}=<sha256>' -f $Artifact.Name, $source)
}
return $hash.ToLowerInvariant()
}

function Get-Artifact {
param([Parameter(Mandatory)] [string]$Name)
$artifact = $null
foreach ($candidate in $Artifacts) {
if ($candidate.Name -eq $Name) {
$artifact = $candidate
}
}
if ($null -eq $artifact) {
throw "artifact $Name is not part of this script"
}
$cache = Join-Path $StateRoot 'downloads'
New-Item -ItemType Directory -Force -Path $cache | Out-Null
$fileName = Get-ArtifactFileName $artifact
$path = Join-Path $cache $fileName
$expected = Get-ExpectedHash -Artifact $artifact
if (Test-Path -LiteralPath $path) {
if ((Get-FileHash -Algorithm SHA256 -LiteralPath $path).Hash.ToLowerInvariant() -eq $expected) {
Write-Log "$fileName already downloaded and verified"
return $path
}
Remove-Item -LiteralPath $path -Force
}
$partial = "$path.partial"
Write-Log "downloading $($artifact.Url)"
Invoke-Download -Uri $artifact.Url -OutFile $partial
$actual = (Get-FileHash -Algorithm SHA256 -LiteralPath $partial).Hash.ToLowerInvariant()
if ($actual -ne $expected) {
Remove-Item -LiteralPath $partial -Force
throw ('SHA-256 mismatch for {0}: expected {1}, got {2}; the file was deleted' -f $fileName, $expected, $actual)
}
Move-Item -LiteralPath $partial -Destination $path -Force
Write-Log "$fileName verified (sha256 $actual)"
return $path
}

function Expand-Artifact {
param(
[Parameter(Mandatory)] [string]$Path,
[Parameter(Mandatory)] [string]$Destination
)
New-Item -ItemType Directory -Force -Path $Destination | Out-Null
if ($Path.EndsWith('.zip')) {
Expand-Archive -LiteralPath $Path -DestinationPath $Destination -Force
return
}
$result = Invoke-NativeCommand -FilePath 'tar.exe' -ArgumentList @('-xzf', $Path, '-C', $Destination)
if ($result.ExitCode -ne 0) {
throw ('tar.exe could not extract {0} (exit {1}): {2}' -f $Path, $result.ExitCode, ($result.Output -join ' '))
}
}

function Add-MachinePath {
param([Parameter(Mandatory)] [string]$Directory)
$current = [Environment]::GetEnvironmentVariable('Path', 'Machine')
$parts = @($current -split ';' | Where-Object { $_ })
if ($parts -notcontains $Directory) {
[Environment]::SetEnvironmentVariable('Path', (($parts + $Directory) -join ';'), 'Machine')
}
if (@($env:Path -split ';') -notcontains $Directory) {
$env:Path = "$env:Path;$Directory"
}
}

function Set-ServiceRecovery {
param([Parameter(Mandatory)] [string]$Service)
$failure = Invoke-NativeCommand -FilePath 'sc.exe' -ArgumentList @('failure', $Service, 'reset=', '86400', 'actions=', 'restart/10000/restart/10000/restart/10000')
$flag = Invoke-NativeCommand -FilePath 'sc.exe' -ArgumentList @('failureflag', $Service, '1')
if ($failure.ExitCode -ne 0 -or $flag.ExitCode -ne 0) {
Write-Log ('WARNING: could not set restart-on-failure for {0}: {1}' -f $Service, (($failure.Output + $flag.Output) -join ' '))
}
}

function Register-NodeService {
param(
[Parameter(Mandatory)] [string]$Name,
[Parameter(Mandatory)] [string]$BinaryPath,
[string[]]$DependsOn = @()
)
$existing = Get-Service -Name $Name -ErrorAction SilentlyContinue
if ($existing) {
if ($existing.Status -eq 'Running') {
Stop-Service -Name $Name -Force
}
$deleted = Invoke-NativeCommand -FilePath 'sc.exe' -ArgumentList @('delete', $Name)
if ($deleted.ExitCode -ne 0 -and $deleted.ExitCode -ne 1072) {
throw ('sc.exe could not delete the service {0} (exit {1}): {2}' -f $Name, $deleted.ExitCode, ($deleted.Output -join ' '))
}
$deadline = (Get-Date).AddSeconds(60)
while (Get-Service -Name $Name -ErrorAction SilentlyContinue) {
if ((Get-Date) -gt $deadline) {
throw "the service $Name is still marked for deletion after 60 s: close what holds it open (the Services console?) and re-run"
}
Start-Sleep -Seconds 2
}
}
$params = @{ Name = $Name; BinaryPathName = $BinaryPath; StartupType = 'Automatic'; DisplayName = "$Name (win-k8s)" }
if ($DependsOn.Count -gt 0) {
$params.DependsOn = $DependsOn
}
New-Service @params | Out-Null
Set-ServiceRecovery -Service $Name
Set-ServiceEnvironment -Service $Name
Write-Log "registered service $Name"
}

function Get-ServiceCommandLine {
param(
[Parameter(Mandatory)] [string]$Executable,
[Parameter(Mandatory)] [string[]]$Arguments,
[Parameter(Mandatory)] [string]$LogFile
)
$quoted = @($Arguments | ForEach-Object {
if ($_ -match '[\s"]') {
'"{0}"' -f ($_ -replace '"', '\"')
}
elseif ($_.EndsWith('=')) {
'{0}""' -f $_
}
else {
$_
}
})
$exe = '"{0}"' -f $Executable
if ($WinK8s.UseKubeLogRunner) {
$limits = ''
if ($WinK8s.LogRunnerRotates) {
$limits = ' -log-file-size=100Mi -log-file-age=168h'
}
return ('"{0}" -log-file="{1}"{2} {3} {4}' -f (Join-Path $KubeDir 'kube-log-runner.exe'), $LogFile, $limits, $exe, ($quoted -join ' '))
}
return ('{0} {1}' -f $exe, ($quoted -join ' '))
}

function Register-SupervisedProcess {
param(
[Parameter(Mandatory)] [string]$Name,
[Parameter(Mandatory)] [string]$Executable,
[Parameter(Mandatory)] [string[]]$Arguments,
[hashtable]$Environment = @{}
)
$logDir = Join-Path $LogRoot $Name
New-Item -ItemType Directory -Force -Path $logDir | Out-Null
$supervisor = Join-Path $KubeDir "run-$Name.ps1"
$envLines = @()
foreach ($key in $Environment.Keys) {
$envLines += ('$env:{0} = ''{1}''' -f $key, ($Environment[$key] -replace "'", "''"))
}
foreach ($pair in (Get-ProxyEnvironment)) {
$kv = $pair -split '=', 2
$envLines += ('$env:{0} = ''{1}''' -f $kv[0], ($kv[1] -replace "'", "''"))
}
$argLines = @($Arguments | ForEach-Object { "    '{0}'" -f ($_ -replace "'", "''") })
$logFile = Join-Path $logDir "$Name.log"
$body = @(
'$ErrorActionPreference = ''Continue'''
$envLines
('$log = ''{0}''' -f ($logFile -replace "'", "''"))
'$arguments = @('
$argLines
')'
'while ($true) {'
('    & ''{0}'' @arguments 2>&1 | ForEach-Object {{' -f ($Executable -replace "'", "''"))
'        [IO.File]::AppendAllText($log, "$_`r`n")'
'        if ((Get-Item -LiteralPath $log).Length -gt 10MB) { Move-Item -LiteralPath $log -Destination "$log.1" -Force }'
'    }'
'    [IO.File]::AppendAllText($log, "exited with code $LASTEXITCODE at $(Get-Date -Format o); restarting in 5s`r`n")'
'    Start-Sleep -Seconds 5'
'}'
)
[IO.File]::WriteAllText($supervisor, ($body -join "`r`n"), (New-Object Text.UTF8Encoding -ArgumentList $true))
$action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument ('-NoProfile -ExecutionPolicy Bypass -File "{0}"' -f $supervisor)
$trigger = New-ScheduledTaskTrigger -AtStartup
$principal = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest
$settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit ([TimeSpan]::Zero) -RestartCount 999 -RestartInterval (New-TimeSpan -Minutes 1) -AllowStartIfOnBatteries -DontStopIfGoingOnBatteries
Register-ScheduledTask -TaskName "win-k8s-$Name" -Action $action -Trigger $trigger -Principal $principal -Settings $settings -Force | Out-Null
Start-ScheduledTask -TaskName "win-k8s-$Name"
Write-Log "registered supervised process $Name (scheduled task win-k8s-$Name)"
}

function Add-FirewallRule {
param(
[Parameter(Mandatory)] [string]$Name,
[Parameter(Mandatory)] [ValidateSet('TCP', 'UDP')] [string]$Protocol,
[Parameter(Mandatory)] [int]$Port
)
if (Get-NetFirewallRule -Name $Name -ErrorAction SilentlyContinue) {
return
}
New-NetFirewallRule -Name $Name -DisplayName "win-k8s: $Name" -Direction Inbound -Action Allow -Protocol $Protocol -LocalPort $Port | Out-Null
Write-Log "firewall: allowed inbound $Protocol $Port ($Name)"
}

function Initialize-NodeDirectories {
Protect-Directory -Path $KubeDir -UsersMayRead
Protect-Directory -Path $KubernetesDir
New-Item -ItemType Directory -Force -Path (Join-Path $KubernetesDir 'pki'), (Join-Path $KubernetesDir 'manifests') | Out-Null
Protect-Directory -Path (Join-Path $KubeletDir 'pki')
}

function Get-NodeIPv4 {
$route = Get-NetRoute -DestinationPrefix '0.0.0.0/0' | Sort-Object -Property RouteMetric | Select-Object -First 1
if ($null -eq $route) {
throw 'no default route: cannot tell the node IP'
}
$address = Get-NetIPAddress -InterfaceIndex $route.ifIndex -AddressFamily IPv4 | Where-Object { $_.IPAddress -notlike '169.254.*' } | Select-Object -First 1
if ($null -eq $address) {
throw "interface $($route.ifIndex) has no IPv4 address"
}
return $address.IPAddress
}

function Register-ResumeTask {
$action = New-ScheduledTaskAction -Execute 'powershell.exe' -Argument ('-NoProfile -ExecutionPolicy Bypass -File "{0}"' -f $SavedScript)
$trigger = New-ScheduledTaskTrigger -AtStartup
$principal = New-ScheduledTaskPrincipal -UserId 'SYSTEM' -LogonType ServiceAccount -RunLevel Highest
$settings = New-ScheduledTaskSettingsSet -ExecutionTimeLimit (New-TimeSpan -Hours 2) -AllowStartIfOnBatteries
Register-ScheduledTask -TaskName $TaskName -Action $action -Trigger $trigger -Principal $principal -Settings $settings -Force | Out-Null
}

function Unregister-ResumeTask {
if (Get-ScheduledTask -TaskName $TaskName -ErrorAction SilentlyContinue) {
Unregister-ScheduledTask -TaskName $TaskName -Confirm:$false
}
}

function Restart-ForPhase {
param([Parameter(Mandatory)] [string]$Reason)
Register-ResumeTask
Write-Log "rebooting: $Reason; the startup task $TaskName resumes the bootstrap"
Write-SerialConsole "win-k8s: reboot $Reason"
$restart = Invoke-NativeCommand -FilePath 'shutdown.exe' -ArgumentList @('/r', '/t', '15', '/d', 'p:2:4', '/c', 'win-k8s bootstrap')
if ($restart.ExitCode -ne 0) {
throw ('could not schedule the restart (exit {0}): {1}' -f $restart.ExitCode, ($restart.Output -join ' '))
}
exit 0
}
function Get-WebProxyArguments {
param([string]$Uri)
return @{}
}

function Get-ProxyEnvironment {
return , @()
}

function Set-ServiceEnvironment {
param([string]$Service)
}
function Invoke-PhasePreflight {
$identity = [Security.Principal.WindowsPrincipal][Security.Principal.WindowsIdentity]::GetCurrent()
if (-not $identity.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)) {
throw 'this script must run as Administrator (or SYSTEM)'
}

$build = [int](Get-ItemProperty -Path 'HKLM:\SOFTWARE\Microsoft\Windows NT\CurrentVersion').CurrentBuildNumber
if ($build -ne $WinK8s.WindowsBuild) {
throw ('this machine runs Windows build {0}, but the script was rendered for Windows Server {1} (build {2}); render it again with the matching --windows-version' -f $build, $WinK8s.WindowsVersion, $WinK8s.WindowsBuild)
}
Write-Log "Windows build $build matches Windows Server $($WinK8s.WindowsVersion)"

$disk = Get-CimInstance -ClassName Win32_LogicalDisk -Filter "DeviceID='$SystemDrive'"
$freeGb = [Math]::Round($disk.FreeSpace / 1073741824, 1)
if ($freeGb -lt 20) {
Write-Log "WARNING: only $freeGb GB free on $SystemDrive; Windows container images need 20 GB or more"
}
else {
Write-Log "$freeGb GB free on $SystemDrive"
}

try {
Set-Service -Name w32time -StartupType Automatic
Start-Service -Name w32time
& w32tm.exe /resync /force | Out-Null
Write-Log 'clock resynchronised'
}
catch {
Write-Log "WARNING: time resync failed: $($_.Exception.Message)"
}

$machineVars = Get-ProxyEnvironment
foreach ($pair in $machineVars) {
$kv = $pair -split '=', 2
[Environment]::SetEnvironmentVariable($kv[0], $kv[1], 'Machine')
}
if ($machineVars.Count -gt 0) {
Write-Log 'proxy settings written to the machine environment'
}

if ($env:COMPUTERNAME -ne $WinK8s.NodeName.ToUpperInvariant()) {
try {
Rename-Computer -NewName $WinK8s.NodeName -Force
Write-Log "computer renamed to $($WinK8s.NodeName) (takes effect at the next reboot)"
}
catch {
Write-Log "WARNING: could not rename the computer: $($_.Exception.Message)"
}
}
}
function Invoke-PhaseFeatures {
$wanted = @('Containers')
if ($WinK8s.HypervIsolation) {
$wanted += @('Hyper-V', 'Hyper-V-PowerShell')
}
$restart = $false
foreach ($feature in $wanted) {
$state = Get-WindowsFeature -Name $feature
if ($state.Installed) {
Write-Log "feature $feature already installed"
continue
}
Write-Log "installing feature $feature"
try {
$result = Install-WindowsFeature -Name $feature
}
catch {
if ($feature -like 'Hyper-V*') {
throw ('the Hyper-V role cannot be installed on this machine ({0}); Hyper-V isolation needs a VM size with nested virtualization, or drop --hyperv-isolation' -f $_.Exception.Message)
}
throw
}
if (-not $result.Success) {
throw "could not install the Windows feature $feature"
}
if ([string]$result.RestartNeeded -eq 'Yes') {
$restart = $true
}
}
$renamePending = $env:COMPUTERNAME -ne $WinK8s.NodeName.ToUpperInvariant()
return ($restart -or $renamePending)
}
function Invoke-PhaseRuntime {
Initialize-NodeDirectories
$installDir = Join-Path $env:ProgramFiles 'containerd'
$service = Get-Service -Name containerd -ErrorAction SilentlyContinue
if ($service -and $service.Status -eq 'Running') {
Stop-Service -Name containerd -Force
}
$archive = Get-Artifact -Name 'containerd'
$extract = Join-Path $StateRoot 'containerd-extract'
Expand-Artifact -Path $archive -Destination $extract
New-Item -ItemType Directory -Force -Path $installDir | Out-Null
Copy-Item -Path (Join-Path $extract 'bin\*') -Destination $installDir -Recurse -Force
Remove-Item -LiteralPath $extract -Recurse -Force
Add-MachinePath -Directory $installDir

New-Item -ItemType Directory -Force -Path $CniBinDir, $CniConfDir | Out-Null
Write-Utf8File -Path (Join-Path $installDir 'config.toml') -Content (Expand-NodeFile -Text $WinK8s.ContainerdConfig)
Write-Log "containerd config written (sandbox image $($WinK8s.SandboxImage))"

if (-not (Get-Service -Name containerd -ErrorAction SilentlyContinue)) {
$registered = Invoke-NativeCommand -FilePath (Join-Path $installDir 'containerd.exe') -ArgumentList @('--register-service', '--config', (Join-Path $installDir 'config.toml'))
if ($registered.ExitCode -ne 0) {
throw ('containerd --register-service failed (exit {0}): {1}' -f $registered.ExitCode, ($registered.Output -join ' '))
}
}
Set-ServiceRecovery -Service 'containerd'
Set-ServiceEnvironment -Service 'containerd'
Set-Service -Name containerd -StartupType Automatic
Start-Service -Name containerd

$crictl = Get-Artifact -Name 'crictl'
Expand-Artifact -Path $crictl -Destination $KubeDir
[Environment]::SetEnvironmentVariable('CONTAINER_RUNTIME_ENDPOINT', $WinK8s.CrictlEndpoint, 'Machine')
$env:CONTAINER_RUNTIME_ENDPOINT = $WinK8s.CrictlEndpoint

$deadline = (Get-Date).AddMinutes(2)
while (-not (Test-Path -LiteralPath '\\.\pipe\containerd-containerd')) {
if ((Get-Date) -gt $deadline) {
throw 'containerd did not open \\.\pipe\containerd-containerd within 2 minutes'
}
Start-Sleep -Seconds 2
}
return "containerd $((Get-Item (Join-Path $installDir 'containerd.exe')).VersionInfo.ProductVersion)".Trim()
}
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
function Invoke-PhaseCni {
New-Item -ItemType Directory -Force -Path $CniBinDir, $CniConfDir, (Join-Path $LogRoot 'calico\cni') | Out-Null
return 'prepared for the Tigera operator (windowsDataplane HNS)'
}

function Start-NodeNetwork {
return 'Calico and kube-proxy arrive as HostProcess DaemonSets from the cluster'
}
function Invoke-PhaseServices {
$runtimeService = 'containerd'
if ($WinK8s.Runtime -eq 'docker') {
$runtimeService = 'docker'
}
$flags = @($WinK8s.KubeletFlags) + @("--node-ip=$(Get-NodeIPv4)")
$binary = Get-ServiceCommandLine -Executable (Join-Path $KubeDir 'kubelet.exe') -Arguments $flags -LogFile (Join-Path $LogRoot 'kubelet\kubelet.log')
Register-NodeService -Name 'kubelet' -BinaryPath $binary -DependsOn @($runtimeService)
if (Test-Path -LiteralPath $KubeletKubeconfig) {
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
Write-Log 'an earlier kubeadm join did not finish: kubeadm reset -f first'
$reset = Invoke-NativeCommand -FilePath $kubeadm -ArgumentList @('reset', '-f', "--cri-socket=$($WinK8s.CriSocket)")
Write-NativeOutput -Prefix 'kubeadm reset' -Result $reset
if ($reset.ExitCode -ne 0) {
throw "kubeadm reset failed (exit $($reset.ExitCode)); see the kubeadm lines in $LogFile"
}
}
New-ProtectedFile -Path $JoinConfig
Write-Utf8File -Path $JoinConfig -Content $WinK8s.JoinConfiguration.Replace('__WIN_K8S_BOOTSTRAP_TOKEN__', $BootstrapToken)
Set-Content -LiteralPath $JoinAttempted -Value (Get-Date -Format o) -Encoding ASCII
try {
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
New-Item -ItemType Directory -Force -Path $StateRoot, $StateDir | Out-Null
$bootstrapLock = New-Object System.Threading.Mutex -ArgumentList $false, 'Global\win-k8s-bootstrap'
try {
$lockHeld = $bootstrapLock.WaitOne(0)
}
catch [System.Threading.AbandonedMutexException] {
$lockHeld = $true
}
if (-not $lockHeld) {
Write-Log 'another win-k8s bootstrap is running here; leaving the work to it'
exit 0
}
[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12

function Remove-TokenCopies {
Unregister-ResumeTask
foreach ($path in @($SavedScript, (Join-Path $StateRoot 'join.yaml'))) {
if (Test-Path -LiteralPath $path) {
Remove-Item -LiteralPath $path -Force
}
}
}

$phases = @(
        'preflight',
        'features',
        'runtime',
        'binaries',
        'cni',
        'services',
        'join',
        'network'
    )
$PhaseFunctions = @{
preflight = 'Invoke-PhasePreflight'; features = 'Invoke-PhaseFeatures'; runtime = 'Invoke-PhaseRuntime'; binaries = 'Invoke-PhaseBinaries'
cni = 'Invoke-PhaseCni'; services = 'Invoke-PhaseServices'; join = 'Invoke-PhaseJoin'; network = 'Start-NodeNetwork'
}
$current = 'startup'
$joinReached = $false
try {
if ($PSCommandPath -ne $SavedScript) {
New-ProtectedFile -Path $SavedScript
if ($PSCommandPath) {
[IO.File]::WriteAllBytes($SavedScript, [IO.File]::ReadAllBytes($PSCommandPath))
}
else {
[IO.File]::WriteAllText($SavedScript, $MyInvocation.MyCommand.ScriptBlock.ToString(), (New-Object Text.UTF8Encoding -ArgumentList $true))
}
}
foreach ($phase in $phases) {
$current = $phase
if ($phase -eq 'join') {
$joinReached = $true
}
if (Test-PhaseDone -Phase $phase) {
continue
}
Write-Phase -Phase $phase -State 'started'
$detail = & $PhaseFunctions[$phase]
$reboot = $false
if ($phase -eq 'features') {
$reboot = [bool]$detail
$detail = ''
}
Set-PhaseDone -Phase $phase
Write-Phase -Phase $phase -State 'done' -Detail ([string]$detail)
if ($reboot) {
Restart-ForPhase -Reason 'Windows features or the computer name need a restart'
}
}
Remove-TokenCopies
Write-Phase -Phase 'complete' -State 'done' -Detail $WinK8s.NodeName
exit 0
}
catch {
$message = Protect-Text ($_.Exception.Message -replace '\s+', ' ')
Write-Phase -Phase $current -State 'failed' -Detail $message
Write-Log ('at: {0}' -f (Protect-Text $_.InvocationInfo.PositionMessage))
$tail = @(Get-Content -LiteralPath $LogFile -Tail 50 -ErrorAction SilentlyContinue)
foreach ($line in $tail) {
Write-SerialConsole "win-k8s: log $line"
}
if ($joinReached) {
try {
Remove-TokenCopies
}
catch {
Write-Log ('WARNING: could not remove the copies of the bootstrap token: {0}' -f $_.Exception.Message)
}
}
exit 1
}
