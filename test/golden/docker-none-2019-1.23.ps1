<#
  win-k8s node bootstrap for win-abcde: Windows Server 2019, Kubernetes 1.23.17, docker 20.10.24, CNI none. Rendered by win-k8s 0.1.0.

  Run as Administrator in Windows PowerShell 5.1:
    powershell.exe -NoProfile -ExecutionPolicy Bypass -File .\bootstrap.ps1

  The script is idempotent: each phase leaves a marker under C:\ProgramData\win-k8s\state,
  and a re-run resumes at the first unfinished phase. When Windows features need a reboot it
  registers a startup task that runs it again, and removes that task when the node has joined.
  Progress goes to C:\ProgramData\win-k8s\bootstrap.log and, one line per phase, to COM1.
  This file carries a bootstrap token: keep it private. The copy saved for the reboot is
  deleted when the join finishes.
#>
$ErrorActionPreference = 'Stop'
# Invoke-WebRequest is many times slower while it draws a progress bar.
$ProgressPreference = 'SilentlyContinue'
Set-StrictMode -Version 3.0

$WinK8s = @{
    RenderedBy              = '0.1.0'
    NodeName                = 'win-abcde'
    WindowsVersion          = '2019'
    WindowsBuild            = 17763
    KubernetesVersion       = '1.23.17'
    Runtime                 = 'docker'
    Cni                     = 'none'
    ApiServer               = '10.0.0.10:6443'
    CaCertHash              = 'sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef'
    CriSocket               = 'npipe:////./pipe/docker_engine'
    SandboxImage            = 'registry.k8s.io/pause:3.10.1'
    ServiceCidr             = '10.96.0.0/12'
    ClusterCidr             = '10.244.0.0/16'
    HypervIsolation         = $false
    HypervRuntimeHandler    = 'runhcs-wcow-hypervisor'
    ContainerdConfigVersion = 2
    KubeadmApiVersion       = 'kubeadm.k8s.io/v1beta3'
    UseKubeLogRunner        = $true
    KubeletFlags            = @(
        '--windows-service',
        '--config=C:\var\lib\kubelet\config.yaml',
        '--bootstrap-kubeconfig=C:\etc\kubernetes\bootstrap-kubelet.conf',
        '--kubeconfig=C:\etc\kubernetes\kubelet.conf',
        '--cert-dir=C:\var\lib\kubelet\pki',
        '--hostname-override=win-abcde',
        '--cgroups-per-qos=false',
        '--enforce-node-allocatable=',
        '--resolv-conf=',
        '--container-runtime-endpoint=npipe:////./pipe/docker_engine',
        '--windows-priorityclass=ABOVE_NORMAL_PRIORITY_CLASS',
        '--network-plugin=cni',
        '--cni-bin-dir=C:\opt\cni\bin',
        '--cni-conf-dir=C:\etc\cni\net.d',
        '--image-pull-progress-deadline=20m',
        '--pod-infra-container-image=registry.k8s.io/pause:3.10.1'
    )
    KubeProxyFlags          = @()
    FlannelVni              = 4096
    FlannelPort             = 4789
    HttpProxy               = ''
    HttpsProxy              = ''
    NoProxy                 = @()
}

# Every download, pinned to a version, with the source of its SHA-256.
$Artifacts = @(
    @{ Name = 'kubelet'; Version = '1.23.17'; Url = 'https://dl.k8s.io/release/v1.23.17/bin/windows/amd64/kubelet.exe'; FileName = 'kubelet.exe'; Checksum = @{ Kind = 'sidecar'; Url = 'https://dl.k8s.io/release/v1.23.17/bin/windows/amd64/kubelet.exe.sha256' } },
    @{ Name = 'kubeadm'; Version = '1.23.17'; Url = 'https://dl.k8s.io/release/v1.23.17/bin/windows/amd64/kubeadm.exe'; FileName = 'kubeadm.exe'; Checksum = @{ Kind = 'sidecar'; Url = 'https://dl.k8s.io/release/v1.23.17/bin/windows/amd64/kubeadm.exe.sha256' } },
    @{ Name = 'kube-log-runner'; Version = '1.23.17'; Url = 'https://dl.k8s.io/release/v1.23.17/bin/windows/amd64/kube-log-runner.exe'; FileName = 'kube-log-runner.exe'; Checksum = @{ Kind = 'sidecar'; Url = 'https://dl.k8s.io/release/v1.23.17/bin/windows/amd64/kube-log-runner.exe.sha256' } },
    @{ Name = 'docker'; Version = '20.10.24'; Url = 'https://download.docker.com/win/static/stable/x86_64/docker-20.10.24.zip'; FileName = 'docker-20.10.24.zip'; Checksum = @{ Kind = 'pinned'; Sha256 = 'dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd' } },
    @{ Name = 'crictl'; Version = '1.23.0'; Url = 'https://github.com/kubernetes-sigs/cri-tools/releases/download/v1.23.0/crictl-v1.23.0-windows-amd64.tar.gz'; FileName = 'crictl-v1.23.0-windows-amd64.tar.gz'; Checksum = @{ Kind = 'sidecar'; Url = 'https://github.com/kubernetes-sigs/cri-tools/releases/download/v1.23.0/crictl-v1.23.0-windows-amd64.tar.gz.sha256' } }
)

# Secret: used only in the kubeadm join configuration file, never logged or echoed.
$BootstrapToken = 'abcdef.0123456789abcdef'
$StateRoot = Join-Path $env:ProgramData 'win-k8s'
$StateDir = Join-Path $StateRoot 'state'
$LogFile = Join-Path $StateRoot 'bootstrap.log'
$SavedScript = Join-Path $StateRoot 'bootstrap.ps1'
$TaskName = 'win-k8s-bootstrap'
$KubeDir = 'C:\k'
$CniBinDir = 'C:\opt\cni\bin'
$CniConfDir = 'C:\etc\cni\net.d'
$LogRoot = 'C:\var\log'

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

function Write-Log {
    param([Parameter(Mandatory = $true)] [AllowEmptyString()] [string]$Message)
    $line = '{0} {1}' -f (Get-Date -Format 'yyyy-MM-ddTHH:mm:ssK'), (Protect-Text $Message)
    Add-Content -LiteralPath $LogFile -Value $line -Encoding UTF8
    Write-Host $line
}

function Write-SerialConsole {
    param([Parameter(Mandatory = $true)] [string]$Line)
    try {
        $port = New-Object System.IO.Ports.SerialPort -ArgumentList 'COM1', 115200, 'None', 8, 'One'
        $port.WriteTimeout = 2000
        $port.Open()
        $port.WriteLine((Protect-Text $Line))
        $port.Close()
    }
    catch {
        Add-Content -LiteralPath $LogFile -Value ('(COM1 unavailable: {0})' -f $_.Exception.Message) -Encoding UTF8
    }
}

function Write-Phase {
    param(
        [Parameter(Mandatory = $true)] [string]$Phase,
        [Parameter(Mandatory = $true)] [ValidateSet('started', 'done', 'failed')] [string]$State,
        [string]$Detail = ''
    )
    $line = ('win-k8s: {0} {1} {2}' -f $Phase, $State, $Detail).TrimEnd()
    Write-Log $line
    Write-SerialConsole $line
}

function Test-PhaseDone {
    param([Parameter(Mandatory = $true)] [string]$Phase)
    return (Test-Path -LiteralPath (Join-Path $StateDir "$Phase.done"))
}

function Set-PhaseDone {
    param([Parameter(Mandatory = $true)] [string]$Phase)
    Set-Content -LiteralPath (Join-Path $StateDir "$Phase.done") -Value (Get-Date -Format o) -Encoding ASCII
}

function Protect-Path {
    param([Parameter(Mandatory = $true)] [string]$Path)
    & icacls.exe $Path /inheritance:r /grant:r '*S-1-5-18:(F)' '*S-1-5-32-544:(F)' | Out-Null
}

function Invoke-WithRetry {
    param(
        [Parameter(Mandatory = $true)] [scriptblock]$Action,
        [string]$What = 'operation',
        [int]$Attempts = 5
    )
    for ($i = 1; $i -le $Attempts; $i++) {
        try {
            return (& $Action)
        }
        catch {
            if ($i -eq $Attempts) {
                throw
            }
            $delay = [Math]::Min(60, [Math]::Pow(2, $i)) + (Get-Random -Minimum 0 -Maximum 3)
            Write-Log ('{0} failed (attempt {1}/{2}): {3}; retrying in {4}s' -f $What, $i, $Attempts, $_.Exception.Message, $delay)
            Start-Sleep -Seconds $delay
        }
    }
}

function Get-WebProxyArguments {
    param([Parameter(Mandatory = $true)] [string]$Uri)
    $proxy = $WinK8s.HttpsProxy
    if ($Uri.StartsWith('http://')) {
        $proxy = $WinK8s.HttpProxy
    }
    if ($proxy) {
        return @{ Proxy = $proxy }
    }
    return @{}
}

function Invoke-Download {
    param(
        [Parameter(Mandatory = $true)] [string]$Uri,
        [Parameter(Mandatory = $true)] [string]$OutFile
    )
    $proxyArgs = Get-WebProxyArguments -Uri $Uri
    Invoke-WithRetry -What "download $Uri" -Action {
        Invoke-WebRequest -UseBasicParsing -Uri $Uri -OutFile $OutFile @proxyArgs
    } | Out-Null
}

function Get-ExpectedSha256 {
    param([Parameter(Mandatory = $true)] [hashtable]$Artifact)
    $source = $Artifact.Checksum
    $kind = $source.Kind
    $hash = $null
    if ($kind -eq 'pinned') {
        $hash = $source.Sha256
    }
    elseif ($kind -eq 'sidecar') {
        $tmp = Join-Path $env:TEMP ('win-k8s-{0}.sha256' -f [guid]::NewGuid())
        Invoke-Download -Uri $source.Url -OutFile $tmp
        $text = Get-Content -Raw -LiteralPath $tmp
        Remove-Item -LiteralPath $tmp -Force
        $match = [regex]::Match($text, '\b[0-9a-fA-F]{64}\b')
        if ($match.Success) {
            $hash = $match.Value
        }
    }
    elseif ($kind -eq 'github') {
        $api = 'https://api.github.com/repos/{0}/releases/tags/{1}' -f $source.Repo, $source.Tag
        $proxyArgs = Get-WebProxyArguments -Uri $api
        $release = Invoke-WithRetry -What "read $api" -Action {
            Invoke-RestMethod -UseBasicParsing -Uri $api -Headers @{ 'User-Agent' = 'win-k8s' } @proxyArgs
        }
        $asset = @($release.assets | Where-Object { $_.name -eq $source.Asset })
        if ($asset.Count -eq 1 -and $asset[0].PSObject.Properties['digest'] -and $asset[0].digest) {
            $hash = ($asset[0].digest -replace '^sha256:', '')
        }
    }
    if (-not $hash -or $hash -notmatch '^[0-9a-fA-F]{64}$') {
        throw ('no SHA-256 available for {0} {1} ({2}); pin one with: win-k8s render --checksum {0}=<sha256>' -f $Artifact.Name, $Artifact.Version, $kind)
    }
    return $hash.ToLowerInvariant()
}

function Get-Artifact {
    param([Parameter(Mandatory = $true)] [string]$Name)
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
    $path = Join-Path $cache $artifact.FileName
    $expected = Get-ExpectedSha256 -Artifact $artifact
    if (Test-Path -LiteralPath $path) {
        if ((Get-FileHash -Algorithm SHA256 -LiteralPath $path).Hash.ToLowerInvariant() -eq $expected) {
            Write-Log ('{0} {1} already downloaded and verified' -f $artifact.Name, $artifact.Version)
            return $path
        }
        Remove-Item -LiteralPath $path -Force
    }
    $partial = "$path.partial"
    Write-Log ('downloading {0} {1} from {2}' -f $artifact.Name, $artifact.Version, $artifact.Url)
    Invoke-Download -Uri $artifact.Url -OutFile $partial
    $actual = (Get-FileHash -Algorithm SHA256 -LiteralPath $partial).Hash.ToLowerInvariant()
    if ($actual -ne $expected) {
        Remove-Item -LiteralPath $partial -Force
        throw ('SHA-256 mismatch for {0}: expected {1}, got {2}; the file was deleted' -f $artifact.FileName, $expected, $actual)
    }
    Move-Item -LiteralPath $partial -Destination $path -Force
    Write-Log ('{0} {1} verified (sha256 {2})' -f $artifact.Name, $artifact.Version, $actual)
    return $path
}

function Expand-Artifact {
    param(
        [Parameter(Mandatory = $true)] [string]$Path,
        [Parameter(Mandatory = $true)] [string]$Destination
    )
    New-Item -ItemType Directory -Force -Path $Destination | Out-Null
    if ($Path.EndsWith('.zip')) {
        Expand-Archive -LiteralPath $Path -DestinationPath $Destination -Force
        return
    }
    & tar.exe -xzf $Path -C $Destination
    if ($LASTEXITCODE -ne 0) {
        throw "tar.exe could not extract $Path (exit $LASTEXITCODE)"
    }
}

function Add-MachinePath {
    param([Parameter(Mandatory = $true)] [string]$Directory)
    $current = [Environment]::GetEnvironmentVariable('Path', 'Machine')
    $parts = @($current -split ';' | Where-Object { $_ })
    if ($parts -notcontains $Directory) {
        [Environment]::SetEnvironmentVariable('Path', (($parts + $Directory) -join ';'), 'Machine')
    }
    if (@($env:Path -split ';') -notcontains $Directory) {
        $env:Path = "$env:Path;$Directory"
    }
}

function Get-ProxyEnvironment {
    $vars = @()
    if ($WinK8s.HttpProxy) {
        $vars += "HTTP_PROXY=$($WinK8s.HttpProxy)"
    }
    if ($WinK8s.HttpsProxy) {
        $vars += "HTTPS_PROXY=$($WinK8s.HttpsProxy)"
    }
    if ($vars.Count -gt 0) {
        $vars += "NO_PROXY=$($WinK8s.NoProxy -join ',')"
    }
    return , $vars
}

function Set-ServiceEnvironment {
    param([Parameter(Mandatory = $true)] [string]$Service)
    $vars = Get-ProxyEnvironment
    if ($vars.Count -eq 0) {
        return
    }
    $key = "HKLM:\SYSTEM\CurrentControlSet\Services\$Service"
    New-ItemProperty -Path $key -Name 'Environment' -PropertyType MultiString -Value $vars -Force | Out-Null
}

function Set-ServiceRecovery {
    param([Parameter(Mandatory = $true)] [string]$Service)
    & sc.exe failure $Service reset= 86400 actions= restart/10000/restart/10000/restart/10000 | Out-Null
    & sc.exe failureflag $Service 1 | Out-Null
}

function Register-NodeService {
    param(
        [Parameter(Mandatory = $true)] [string]$Name,
        [Parameter(Mandatory = $true)] [string]$BinaryPath,
        [string[]]$DependsOn = @()
    )
    $existing = Get-Service -Name $Name -ErrorAction SilentlyContinue
    if ($existing) {
        if ($existing.Status -eq 'Running') {
            Stop-Service -Name $Name -Force
        }
        & sc.exe delete $Name | Out-Null
        Start-Sleep -Seconds 2
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
        [Parameter(Mandatory = $true)] [string]$Executable,
        [Parameter(Mandatory = $true)] [string[]]$Arguments,
        [Parameter(Mandatory = $true)] [string]$LogFile
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
        return ('"{0}" -log-file="{1}" {2} {3}' -f (Join-Path $KubeDir 'kube-log-runner.exe'), $LogFile, $exe, ($quoted -join ' '))
    }
    return ('{0} {1}' -f $exe, ($quoted -join ' '))
}

function Register-SupervisedProcess {
    param(
        [Parameter(Mandatory = $true)] [string]$Name,
        [Parameter(Mandatory = $true)] [string]$Executable,
        [Parameter(Mandatory = $true)] [string[]]$Arguments,
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
    $body = @(
        '$ErrorActionPreference = ''Continue'''
        $envLines
        '$arguments = @('
        $argLines
        ')'
        'while ($true) {'
        ('    & ''{0}'' @arguments *>> ''{1}''' -f $Executable, (Join-Path $logDir "$Name.log"))
        ('    Add-Content -LiteralPath ''{0}'' -Value (''exited with code '' + $LASTEXITCODE + '' at '' + (Get-Date -Format o) + ''; restarting in 5s'')' -f (Join-Path $logDir "$Name.log"))
        '    Start-Sleep -Seconds 5'
        '}'
    )
    Set-Content -LiteralPath $supervisor -Value ($body -join "`r`n") -Encoding UTF8
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
        [Parameter(Mandatory = $true)] [string]$Name,
        [Parameter(Mandatory = $true)] [ValidateSet('TCP', 'UDP')] [string]$Protocol,
        [Parameter(Mandatory = $true)] [int]$Port
    )
    if (Get-NetFirewallRule -Name $Name -ErrorAction SilentlyContinue) {
        return
    }
    New-NetFirewallRule -Name $Name -DisplayName "win-k8s: $Name" -Direction Inbound -Action Allow -Protocol $Protocol -LocalPort $Port | Out-Null
    Write-Log "firewall: allowed inbound $Protocol $Port ($Name)"
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
    param([Parameter(Mandatory = $true)] [string]$Reason)
    Register-ResumeTask
    Write-Log "rebooting: $Reason; the startup task $TaskName resumes the bootstrap"
    Write-SerialConsole "win-k8s: reboot $Reason"
    Restart-Computer -Force
    exit 0
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

    $disk = Get-CimInstance -ClassName Win32_LogicalDisk -Filter "DeviceID='C:'"
    $freeGb = [Math]::Round($disk.FreeSpace / 1073741824, 1)
    if ($freeGb -lt 20) {
        Write-Log "WARNING: only $freeGb GB free on C:; Windows container images need 20 GB or more"
    }
    else {
        Write-Log "$freeGb GB free on C:"
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
        $result = Install-WindowsFeature -Name $feature
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
    $dockerDir = Join-Path $env:ProgramFiles 'docker'
    $service = Get-Service -Name docker -ErrorAction SilentlyContinue
    if ($service -and $service.Status -eq 'Running') {
        Stop-Service -Name docker -Force
    }
    $archive = Get-Artifact -Name 'docker'
    Expand-Artifact -Path $archive -Destination $env:ProgramFiles
    Add-MachinePath -Directory $dockerDir
    New-Item -ItemType Directory -Force -Path $CniBinDir, $CniConfDir | Out-Null

    if (-not (Get-Service -Name docker -ErrorAction SilentlyContinue)) {
        & (Join-Path $dockerDir 'dockerd.exe') --register-service
        if ($LASTEXITCODE -ne 0) {
            throw "dockerd --register-service failed (exit $LASTEXITCODE)"
        }
    }
    Set-ServiceRecovery -Service 'docker'
    Set-ServiceEnvironment -Service 'docker'
    Set-Service -Name docker -StartupType Automatic
    Start-Service -Name docker

    $hasCriDockerd = $false
    foreach ($candidate in $Artifacts) {
        if ($candidate.Name -eq 'cri-dockerd') {
            $hasCriDockerd = $true
        }
    }
    if ($hasCriDockerd) {
        $zip = Get-Artifact -Name 'cri-dockerd'
        $criDir = Join-Path $KubeDir 'cri-dockerd'
        Expand-Artifact -Path $zip -Destination $criDir
        $exe = Get-ChildItem -Path $criDir -Recurse -Filter 'cri-dockerd.exe' | Select-Object -First 1
        if ($null -eq $exe) {
            throw 'cri-dockerd.exe not found in the cri-dockerd archive'
        }
        $arguments = @(
            '--container-runtime-endpoint=npipe:////./pipe/cri-dockerd',
            '--network-plugin=cni',
            "--cni-bin-dir=$CniBinDir",
            "--cni-conf-dir=$CniConfDir",
            "--pod-infra-container-image=$($WinK8s.SandboxImage)"
        )
        Register-SupervisedProcess -Name 'cri-dockerd' -Executable $exe.FullName -Arguments $arguments
    }

    $crictl = Get-Artifact -Name 'crictl'
    Expand-Artifact -Path $crictl -Destination $KubeDir
    [Environment]::SetEnvironmentVariable('CONTAINER_RUNTIME_ENDPOINT', $WinK8s.CriSocket, 'Machine')
    $env:CONTAINER_RUNTIME_ENDPOINT = $WinK8s.CriSocket

    $pipe = $WinK8s.CriSocket -replace '^npipe:////\./pipe/', '\\.\pipe\'
    $deadline = (Get-Date).AddMinutes(2)
    while (-not (Test-Path -LiteralPath $pipe)) {
        if ((Get-Date) -gt $deadline) {
            throw "the runtime did not open $pipe within 2 minutes"
        }
        Start-Sleep -Seconds 2
    }
    return "docker $((Get-Item (Join-Path $dockerDir 'dockerd.exe')).VersionInfo.ProductVersion)".Trim()
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

    $dirs = @(
        'C:\etc\kubernetes\pki',
        'C:\etc\kubernetes\manifests',
        'C:\var\lib\kubelet\etc\kubernetes',
        'C:\var\lib\kubelet\pki',
        (Join-Path $LogRoot 'kubelet'),
        (Join-Path $LogRoot 'kube-proxy')
    )
    New-Item -ItemType Directory -Force -Path $dirs | Out-Null
    $link = 'C:\var\lib\kubelet\etc\kubernetes\pki'
    if (-not (Test-Path -LiteralPath $link)) {
        New-Item -ItemType SymbolicLink -Path $link -Value 'C:\etc\kubernetes\pki' | Out-Null
    }
    $version = (& (Join-Path $KubeDir 'kubelet.exe') --version) -join ' '
    return $version
}
function Invoke-PhaseCni {
    New-Item -ItemType Directory -Force -Path $CniBinDir, $CniConfDir | Out-Null
    return 'no CNI installed (--cni none)'
}

function Start-NodeNetwork {
    return 'no node network services (--cni none)'
}
function Invoke-PhaseServices {
    $runtimeService = 'containerd'
    if ($WinK8s.Runtime -eq 'docker') {
        $runtimeService = 'docker'
    }
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
function Invoke-PhaseJoin {
    if (Test-Path -LiteralPath 'C:\etc\kubernetes\kubelet.conf') {
        return 'already joined (C:\etc\kubernetes\kubelet.conf exists)'
    }
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
New-Item -ItemType Directory -Force -Path $StateRoot, $StateDir | Out-Null
$bootstrapLock = New-Object System.Threading.Mutex -ArgumentList $false, 'Global\win-k8s-bootstrap'
try {
    $lockHeld = $bootstrapLock.WaitOne(0)
}
catch [System.Threading.AbandonedMutexException] {
    $lockHeld = $true
}
if (-not $lockHeld) {
    Write-Log 'another win-k8s bootstrap is running on this machine; leaving the work to it'
    exit 0
}
if ($PSCommandPath -ne $SavedScript) {
    if ($PSCommandPath) {
        Copy-Item -LiteralPath $PSCommandPath -Destination $SavedScript -Force
    }
    else {
        Set-Content -LiteralPath $SavedScript -Value $MyInvocation.MyCommand.ScriptBlock.ToString() -Encoding UTF8
    }
    Protect-Path -Path $SavedScript
}
[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12

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
$current = 'startup'
try {
    foreach ($phase in $phases) {
        $current = $phase
        if (Test-PhaseDone -Phase $phase) {
            continue
        }
        Write-Phase -Phase $phase -State 'started'
        $detail = ''
        $reboot = $false
        if ($phase -eq 'preflight') {
            Invoke-PhasePreflight
        }
        elseif ($phase -eq 'features') {
            $reboot = Invoke-PhaseFeatures
        }
        elseif ($phase -eq 'runtime') {
            $detail = Invoke-PhaseRuntime
        }
        elseif ($phase -eq 'binaries') {
            $detail = Invoke-PhaseBinaries
        }
        elseif ($phase -eq 'cni') {
            $detail = Invoke-PhaseCni
        }
        elseif ($phase -eq 'services') {
            $detail = Invoke-PhaseServices
        }
        elseif ($phase -eq 'join') {
            $detail = Invoke-PhaseJoin
        }
        elseif ($phase -eq 'network') {
            $detail = Start-NodeNetwork
        }
        Set-PhaseDone -Phase $phase
        Write-Phase -Phase $phase -State 'done' -Detail ([string]$detail)
        if ($reboot) {
            Restart-ForPhase -Reason 'Windows features or the computer name need a restart'
        }
    }
    Unregister-ResumeTask
    Remove-Item -LiteralPath $SavedScript -Force -ErrorAction SilentlyContinue
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
    exit 1
}
