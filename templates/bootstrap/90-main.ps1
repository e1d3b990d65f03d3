
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
    Write-Log 'another win-k8s bootstrap is running here; leaving the work to it'
    exit 0
}
[Net.ServicePointManager]::SecurityProtocol = [Net.ServicePointManager]::SecurityProtocol -bor [Net.SecurityProtocolType]::Tls12

function Remove-TokenCopies {
    # Once the join has run (or failed), the copies of the token on disk have no use left: the
    # saved script and the resume task that would run it, and a join file a crash left behind.
    Unregister-ResumeTask
    foreach ($path in @($SavedScript, (Join-Path $StateRoot 'join.yaml'))) {
        if (Test-Path -LiteralPath $path) {
            Remove-Item -LiteralPath $path -Force
        }
    }
}

# provision-only scripts stop before the join: the node is ready to join later.
$phases = {{PHASES}}
$PhaseFunctions = @{
    preflight = 'Invoke-PhasePreflight'; features = 'Invoke-PhaseFeatures'; runtime = 'Invoke-PhaseRuntime'; binaries = 'Invoke-PhaseBinaries'
    cni = 'Invoke-PhaseCni'; services = 'Invoke-PhaseServices'; join = 'Invoke-PhaseJoin'; network = 'Start-NodeNetwork'
}
$current = 'startup'
$joinReached = $false
try {
    # Keep a private copy of this script so the startup task can resume it after a reboot. The
    # file is locked before the token is written into it.
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
            # The features phase answers whether Windows must restart before the next one.
            $reboot = [bool]$detail
            $detail = ''
        }
        Set-PhaseDone -Phase $phase
        Write-Phase -Phase $phase -State 'done' -Detail ([string]$detail)
        if ($reboot) {
            Restart-ForPhase -Reason 'Windows features or the computer name need a restart'
        }
    }
    # The saved copy holds the bootstrap token, which is spent now.
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
