
# ---------------------------------------------------------------------------------------------
# Phase: runtime (containerd)
# ---------------------------------------------------------------------------------------------
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
