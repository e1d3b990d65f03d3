
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
        try {
            $result = Install-WindowsFeature -Name $feature
        }
        catch {
            if ($feature -like 'Hyper-V*') {
                # Hyper-V needs the hypervisor exposed to the VM: nested virtualization, which each
                # cloud offers only on some machine types. Installing it without one cannot give
                # working Hyper-V isolated pods, so say so instead of limping on.
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
