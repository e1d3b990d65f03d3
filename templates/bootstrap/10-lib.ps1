
# ---------------------------------------------------------------------------------------------
# Logging and progress reporting
# ---------------------------------------------------------------------------------------------
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
    # Proxy URLs may carry user:password; keep only the host.
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
    # COM1 is what the clouds capture as the console output; machines without one only log.
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

# ---------------------------------------------------------------------------------------------
# Phase markers: a phase that finished leaves <phase>.done; re-runs skip it.
# ---------------------------------------------------------------------------------------------
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
    # Only SYSTEM and Administrators may read files that hold the token.
    & icacls.exe $Path /inheritance:r /grant:r '*S-1-5-18:(F)' '*S-1-5-32-544:(F)' | Out-Null
}

# ---------------------------------------------------------------------------------------------
# Downloads: pinned version, verified SHA-256, retried with backoff.
# ---------------------------------------------------------------------------------------------
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
    # tar.exe ships with Windows Server 2019 and newer.
    & tar.exe -xzf $Path -C $Destination
    if ($LASTEXITCODE -ne 0) {
        throw "tar.exe could not extract $Path (exit $LASTEXITCODE)"
    }
}

# ---------------------------------------------------------------------------------------------
# Machine settings
# ---------------------------------------------------------------------------------------------
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
    # Restart after 10 s on every failure; reset the failure count after a day.
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
                # An empty value must survive the service command line as ="".
                '{0}""' -f $_
            }
            else {
                $_
            }
        })
    $exe = '"{0}"' -f $Executable
    if ($WinK8s.UseKubeLogRunner) {
        # kube-log-runner redirects stdout/stderr to a file: klog's --log-file is gone since 1.26.
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
    param([Parameter(Mandatory = $true)] [string]$Reason)
    Register-ResumeTask
    Write-Log "rebooting: $Reason; the startup task $TaskName resumes the bootstrap"
    Write-SerialConsole "win-k8s: reboot $Reason"
    Restart-Computer -Force
    exit 0
}
