
# ---------------------------------------------------------------------------------------------
# Phase: features (Containers, and Hyper-V for isolated pods); may need a reboot.
# ---------------------------------------------------------------------------------------------
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
