
# ---------------------------------------------------------------------------------------------
# Logging and progress reporting
# ---------------------------------------------------------------------------------------------
# Every path derives from Windows' own roots: the system drive (C:), ProgramData and Program
# Files. kubeadm and the kubelet write Linux-style paths (/etc/kubernetes, /var/lib/kubelet)
# that Windows resolves on the system drive. Tests point these variables at a temporary folder.
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
    # Proxy URLs may carry user:password; keep only the host.
    $out = $out -replace '(https?://)[^/\s:@]+:[^/\s@]+@', '$1<redacted>@'
    return $out
}

function Add-LogText {
    param([Parameter(Mandatory)] [AllowEmptyString()] [string]$Text)
    # UTF-8 without a byte order mark, whichever PowerShell runs this.
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
    # COM1 is what the clouds capture as the console output; machines without one only log.
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

# ---------------------------------------------------------------------------------------------
# Phase markers: a phase that finished leaves <phase>.done; re-runs skip it.
# ---------------------------------------------------------------------------------------------
function Test-PhaseDone {
    param([Parameter(Mandatory)] [string]$Phase)
    return (Test-Path -LiteralPath (Join-Path $StateDir "$Phase.done"))
}

function Set-PhaseDone {
    param([Parameter(Mandatory)] [string]$Phase)
    Set-Content -LiteralPath (Join-Path $StateDir "$Phase.done") -Value (Get-Date -Format o) -Encoding ASCII
}

# SIDs, not names: names are localised. S-1-5-18 SYSTEM, S-1-5-32-544 Administrators,
# S-1-5-32-545 Users.
function Set-RestrictedAcl {
    param(
        [Parameter(Mandatory)] [string]$Path,
        [Parameter(Mandatory)] [string[]]$Grants
    )
    # /inheritance:r drops what the parent (C:\ or ProgramData, readable by Users) would pass on.
    $result = Invoke-NativeCommand -FilePath 'icacls.exe' -ArgumentList (@($Path, '/inheritance:r', '/grant:r') + $Grants)
    if ($result.ExitCode -ne 0) {
        throw ('icacls could not restrict {0} (exit {1}): {2}' -f $Path, $result.ExitCode, ($result.Output -join ' '))
    }
}

function New-ProtectedFile {
    param([Parameter(Mandatory)] [string]$Path)
    # The file is created empty and locked before anything secret is written into it, so there
    # is no moment when it holds the token and is readable by Users.
    if (Test-Path -LiteralPath $Path) {
        Remove-Item -LiteralPath $Path -Force
    }
    New-Item -ItemType File -Force -Path $Path | Out-Null
    Set-RestrictedAcl -Path $Path -Grants @('*S-1-5-18:(F)', '*S-1-5-32-544:(F)')
}

function Protect-Directory {
    param(
        [Parameter(Mandatory)] [string]$Path,
        # Users may read and run what is inside (C:\k is on the machine PATH), never write.
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
    # Go programs (containerd, flanneld, kubeadm, the CNI plugins) read UTF-8 without a byte order
    # mark; Set-Content in Windows PowerShell 5.1 writes ANSI or a BOM.
    [IO.File]::WriteAllText($Path, $Content, (New-Object Text.UTF8Encoding -ArgumentList $false))
}

function Expand-NodeFile {
    param([Parameter(Mandatory)] [AllowEmptyString()] [string]$Text)
    # The files win-k8s rendered carry tokens for what only this machine knows: its folders
    # (forward slashes, which containerd and the CNI plugins accept and TOML and JSON need not
    # escape) and its address.
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

# ---------------------------------------------------------------------------------------------
# Native commands. Windows PowerShell 5.1 turns the first stderr line of a native command whose
# stderr is redirected into a terminating error when ErrorActionPreference is Stop (kubeadm's
# preflight warnings, klog lines): so the output is captured with Continue in this function's
# scope, and success is judged by the exit code alone.
# ---------------------------------------------------------------------------------------------
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

# ---------------------------------------------------------------------------------------------
# Downloads: pinned version, verified SHA-256, retried with backoff.
# ---------------------------------------------------------------------------------------------
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
            # A 404 is an answer, not a hiccup: the release has no such file. Retrying it only
            # hides the real problem behind minutes of backoff.
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
    # The SHA-256 the file must have, from where win-k8s was told to take it:
    #   sha256:<hex>     pinned (shipped by win-k8s or given with --checksum);
    #   sidecar:<suffix> the checksum file published next to the asset, holding the digest alone
    #                    or "<digest>  <name>" (sha256sum): either way the digest comes first;
    #   github           the digest GitHub records for the release asset the URL names.
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
    # tar.exe ships with Windows Server 2019 and newer.
    $result = Invoke-NativeCommand -FilePath 'tar.exe' -ArgumentList @('-xzf', $Path, '-C', $Destination)
    if ($result.ExitCode -ne 0) {
        throw ('tar.exe could not extract {0} (exit {1}): {2}' -f $Path, $result.ExitCode, ($result.Output -join ' '))
    }
}

# ---------------------------------------------------------------------------------------------
# Machine settings
# ---------------------------------------------------------------------------------------------
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
    # Restart after 10 s on every failure; reset the failure count after a day.
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
        # A deleted service stays "marked for deletion" until every handle to it closes (the
        # Services console, a monitoring agent); creating it again fails until then.
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
                # An empty value must survive the service command line as ="".
                '{0}""' -f $_
            }
            else {
                $_
            }
        })
    $exe = '"{0}"' -f $Executable
    if ($WinK8s.UseKubeLogRunner) {
        # kube-log-runner redirects stdout/stderr to a file (klog's --log-file is gone since 1.26)
        # and, where it can, rotates it so a chatty node cannot fill the disk.
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
    # flanneld and cri-dockerd cannot talk to the Service Control Manager, so a startup task runs
    # a small supervisor that restarts them whenever they exit, logging to C:\var\log\<name>.
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
    # The supervisor appends the program's output as UTF-8 lines (Windows PowerShell's *>> would
    # write UTF-16) and keeps the log under 10 MB, moving the full one to <name>.log.1.
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
    # powershell.exe reads a script without a byte order mark as ANSI: keep the BOM here.
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
    # Created and locked before anything lands in them, so nothing inherits the system drive's
    # ACL (Users may read C:\ and create folders there): kubelet.conf and the kubelet's client
    # certificate are the node's identity, and C:\k is on the machine PATH.
    Protect-Directory -Path $KubeDir -UsersMayRead
    Protect-Directory -Path $KubernetesDir
    New-Item -ItemType Directory -Force -Path (Join-Path $KubernetesDir 'pki'), (Join-Path $KubernetesDir 'manifests') | Out-Null
    Protect-Directory -Path (Join-Path $KubeletDir 'pki')
}

function Get-NodeIPv4 {
    # The address of the interface that holds the default route: what the cloud assigned.
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
    # Scheduled, not immediate: an agent running this script (Azure's Custom Script Extension)
    # must see it end with 0 before Windows goes down, or it reports the run as failed.
    $restart = Invoke-NativeCommand -FilePath 'shutdown.exe' -ArgumentList @('/r', '/t', '15', '/d', 'p:2:4', '/c', 'win-k8s bootstrap')
    if ($restart.ExitCode -ne 0) {
        throw ('could not schedule the restart (exit {0}): {1}' -f $restart.ExitCode, ($restart.Output -join ' '))
    }
    exit 0
}
