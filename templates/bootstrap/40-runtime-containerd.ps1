
# ---------------------------------------------------------------------------------------------
# Phase: runtime (containerd)
# ---------------------------------------------------------------------------------------------
function Get-ContainerdConfig {
    param([Parameter(Mandatory = $true)] [string]$Root)
    $binDir = $CniBinDir.Replace('\', '/')
    $confDir = $CniConfDir.Replace('\', '/')
    $sandbox = $WinK8s.SandboxImage
    $handler = $WinK8s.HypervRuntimeHandler
    if ($WinK8s.ContainerdConfigVersion -eq 3) {
        # containerd 2.x: config version 3 moved the CRI settings to new plugin ids.
        $lines = @(
            'version = 3'
            ('root = ''{0}''' -f (Join-Path $Root 'root').Replace('\', '/'))
            ('state = ''{0}''' -f (Join-Path $Root 'state').Replace('\', '/'))
            ''
            '[grpc]'
            '  address = ''\\.\pipe\containerd-containerd'''
            ''
            '[plugins.''io.containerd.cri.v1.images''.pinned_images]'
            ('  sandbox = ''{0}''' -f $sandbox)
            ''
            '[plugins.''io.containerd.cri.v1.runtime''.cni]'
            ('  bin_dirs = [''{0}'']' -f $binDir)
            ('  conf_dir = ''{0}''' -f $confDir)
            ''
            '[plugins.''io.containerd.cri.v1.runtime''.containerd]'
            '  default_runtime_name = ''runhcs-wcow-process'''
            ''
            '[plugins.''io.containerd.cri.v1.runtime''.containerd.runtimes.runhcs-wcow-process]'
            '  runtime_type = ''io.containerd.runhcs.v1'''
        )
        if ($WinK8s.HypervIsolation) {
            $lines += @(
                ''
                ('[plugins.''io.containerd.cri.v1.runtime''.containerd.runtimes.{0}]' -f $handler)
                '  runtime_type = ''io.containerd.runhcs.v1'''
                '  pod_annotations = [''io.microsoft.virtualmachine.*'']'
                '  container_annotations = [''io.microsoft.container.*'']'
                ('[plugins.''io.containerd.cri.v1.runtime''.containerd.runtimes.{0}.options]' -f $handler)
                '  SandboxIsolation = 1'
                '  ScaleCpuLimitsToSandbox = true'
            )
        }
        return ($lines -join "`n")
    }
    $lines = @(
        'version = 2'
        ('root = "{0}"' -f (Join-Path $Root 'root').Replace('\', '/'))
        ('state = "{0}"' -f (Join-Path $Root 'state').Replace('\', '/'))
        ''
        '[grpc]'
        '  address = "\\\\.\\pipe\\containerd-containerd"'
        ''
        '[plugins."io.containerd.grpc.v1.cri"]'
        ('  sandbox_image = "{0}"' -f $sandbox)
        ''
        '[plugins."io.containerd.grpc.v1.cri".cni]'
        ('  bin_dir = "{0}"' -f $binDir)
        ('  conf_dir = "{0}"' -f $confDir)
        ''
        '[plugins."io.containerd.grpc.v1.cri".containerd]'
        '  default_runtime_name = "runhcs-wcow-process"'
        ''
        '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runhcs-wcow-process]'
        '  runtime_type = "io.containerd.runhcs.v1"'
    )
    if ($WinK8s.HypervIsolation) {
        $lines += @(
            ''
            ('[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.{0}]' -f $handler)
            '  runtime_type = "io.containerd.runhcs.v1"'
            '  pod_annotations = ["io.microsoft.virtualmachine.*"]'
            '  container_annotations = ["io.microsoft.container.*"]'
            ('[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.{0}.options]' -f $handler)
            '  SandboxIsolation = 1'
            '  ScaleCpuLimitsToSandbox = true'
        )
    }
    return ($lines -join "`n")
}

function Invoke-PhaseRuntime {
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
    $dataRoot = Join-Path $env:ProgramData 'containerd'
    $config = Get-ContainerdConfig -Root $dataRoot
    # containerd reads UTF-8 without a byte order mark.
    [IO.File]::WriteAllText((Join-Path $installDir 'config.toml'), $config, (New-Object Text.UTF8Encoding($false)))
    Write-Log "containerd config written (version $($WinK8s.ContainerdConfigVersion), sandbox image $($WinK8s.SandboxImage))"

    if (-not (Get-Service -Name containerd -ErrorAction SilentlyContinue)) {
        & (Join-Path $installDir 'containerd.exe') --register-service --config (Join-Path $installDir 'config.toml')
        if ($LASTEXITCODE -ne 0) {
            throw "containerd --register-service failed (exit $LASTEXITCODE)"
        }
    }
    Set-ServiceRecovery -Service 'containerd'
    Set-ServiceEnvironment -Service 'containerd'
    Set-Service -Name containerd -StartupType Automatic
    Start-Service -Name containerd

    $crictl = Get-Artifact -Name 'crictl'
    Expand-Artifact -Path $crictl -Destination $KubeDir
    [Environment]::SetEnvironmentVariable('CONTAINER_RUNTIME_ENDPOINT', $WinK8s.CriSocket, 'Machine')
    $env:CONTAINER_RUNTIME_ENDPOINT = $WinK8s.CriSocket

    $deadline = (Get-Date).AddMinutes(2)
    while (-not (Test-Path -LiteralPath '\\.\pipe\containerd-containerd')) {
        if ((Get-Date) -gt $deadline) {
            throw 'containerd did not open \\.\pipe\containerd-containerd within 2 minutes'
        }
        Start-Sleep -Seconds 2
    }
    return "containerd $((Get-Item (Join-Path $installDir 'containerd.exe')).VersionInfo.ProductVersion)".Trim()
}
