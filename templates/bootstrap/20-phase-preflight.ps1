
# ---------------------------------------------------------------------------------------------
# Phase: preflight
# ---------------------------------------------------------------------------------------------
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

    # Certificates and bootstrap tokens fail on a skewed clock.
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
            # The node name is passed to kubelet explicitly, so a failed rename is cosmetic.
            Write-Log "WARNING: could not rename the computer: $($_.Exception.Message)"
        }
    }
}
