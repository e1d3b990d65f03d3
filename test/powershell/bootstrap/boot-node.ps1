<#
  A restart of the simulated machine: the pending computer name takes effect, services start
  per their start type (dependencies first), services marked for deletion are gone, and the
  startup tasks run: supervised programs start, and a task that runs a script with
  powershell.exe -File runs it (the bootstrap's resume task). Exits with the code of the last
  such script (0 when there is none).
#>
. (Join-Path $PSScriptRoot 'windows-sim.ps1')
$global:Sim.run = [int]$global:Sim.run + 1
$global:Sim.reboots = [int]$global:Sim.reboots + 1
$global:Sim.rebootRequested = $false
if ($global:Sim.pendingComputerName) {
    $global:Sim.computerName = $global:Sim.pendingComputerName.ToUpperInvariant()
    $global:Sim.pendingComputerName = $null
}
$env:COMPUTERNAME = $global:Sim.computerName
foreach ($name in @($global:Sim.services.Keys)) {
    $svc = $global:Sim.services[$name]
    if ([int]$svc.markedForDeletion -gt 0) { $global:Sim.services.Remove($name); continue }
    $svc.status = 'Stopped'
}
foreach ($name in @($global:Sim.services.Keys)) {
    if ($global:Sim.services[$name].startupType -eq 'Automatic') {
        try { Start-SimService $name } catch { Add-SimEvent 'boot-service-failed' @{ name = $name; error = $_.Exception.Message } }
    }
}
Add-SimEvent 'boot' $global:Sim.reboots
$code = Invoke-SimRun {
    $code = 0
    foreach ($taskName in @($global:Sim.tasks.Keys)) {
        $task = $global:Sim.tasks[$taskName]
        if (-not $task.atStartup) { continue }
        if ($taskName -ne 'win-k8s-bootstrap') {
            Start-ScheduledTask -TaskName $taskName
        }
    }
    if ($global:Sim.tasks.ContainsKey('win-k8s-bootstrap')) {
        $task = $global:Sim.tasks['win-k8s-bootstrap']
        $task.started = [int]$task.started + 1
        if ($task.execute -ne 'powershell.exe' -or $task.argument -notmatch '-File "([^"]+)"') { throw "resume task runs something else: $($task.execute) $($task.argument)" }
        Add-SimEvent 'task-start' 'win-k8s-bootstrap'
        $global:LASTEXITCODE = 0
        & $Matches[1] | Out-Host
        $code = $global:LASTEXITCODE
    }
    $code
}
exit $code
