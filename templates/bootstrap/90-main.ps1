
# ---------------------------------------------------------------------------------------------
# Main: run each unfinished phase in order.
# ---------------------------------------------------------------------------------------------
New-Item -ItemType Directory -Force -Path $StateRoot, $StateDir | Out-Null
# One bootstrap at a time. After the features reboot both the resume task and the cloud's own
# agent may start this script (GCP runs its startup script at every boot; Azure's extension can
# re-run an unfinished script): the second one leaves the work to the first.
$bootstrapLock = New-Object System.Threading.Mutex -ArgumentList $false, 'Global\win-k8s-bootstrap'
try {
    $lockHeld = $bootstrapLock.WaitOne(0)
}
catch [System.Threading.AbandonedMutexException] {
    # The previous holder died (a reboot mid-phase): the lock is ours now.
    $lockHeld = $true
}
if (-not $lockHeld) {
    Write-Log 'another win-k8s bootstrap is running on this machine; leaving the work to it'
    exit 0
}
# Keep a private copy of this script so the startup task can resume it after a reboot.
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

# provision-only scripts stop before the join: the node is ready to join later.
$phases = {{PHASES}}
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
    # The saved copy holds the bootstrap token, which is spent now.
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
