
# ---------------------------------------------------------------------------------------------
# Phase: runtime (Docker CE static binaries; cri-dockerd on Kubernetes 1.24+)
# ---------------------------------------------------------------------------------------------
function Invoke-PhaseRuntime {
    Initialize-NodeDirectories
    $dockerDir = Join-Path $env:ProgramFiles 'docker'
    $service = Get-Service -Name docker -ErrorAction SilentlyContinue
    if ($service -and $service.Status -eq 'Running') {
        Stop-Service -Name docker -Force
    }
    $archive = Get-Artifact -Name 'docker'
    # The zip holds a docker\ folder with dockerd.exe and docker.exe.
    Expand-Artifact -Path $archive -Destination $env:ProgramFiles
    Add-MachinePath -Directory $dockerDir
    New-Item -ItemType Directory -Force -Path $CniBinDir, $CniConfDir | Out-Null

    if (-not (Get-Service -Name docker -ErrorAction SilentlyContinue)) {
        $registered = Invoke-NativeCommand -FilePath (Join-Path $dockerDir 'dockerd.exe') -ArgumentList @('--register-service')
        if ($registered.ExitCode -ne 0) {
            throw ('dockerd --register-service failed (exit {0}): {1}' -f $registered.ExitCode, ($registered.Output -join ' '))
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
    # crictl speaks CRI: cri-dockerd's pipe from 1.24; before, the kubelet's built-in dockershim
    # (Docker's own pipe is the Docker API, which crictl cannot use).
    [Environment]::SetEnvironmentVariable('CONTAINER_RUNTIME_ENDPOINT', $WinK8s.CrictlEndpoint, 'Machine')
    $env:CONTAINER_RUNTIME_ENDPOINT = $WinK8s.CrictlEndpoint

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
