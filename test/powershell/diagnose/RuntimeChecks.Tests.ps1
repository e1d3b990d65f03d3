# The runtime section of templates/diagnose/node-checks.ps1 against a recording fake crictl
# (test/fakes/crictl) on the stubbed Windows boundary (NodeHarness.ps1). The whole script runs for
# the containerd 2.0 and 1.7 recordings; their reports are also written to
# $env:WIN_K8S_NODE_REPORTS_OUT for the mocha driver, which judges them with the CLI's checks.
# The failure paths (no crictl, no answer, no end) call the section's own function.
BeforeAll {
    . (Join-Path $PSScriptRoot 'NodeHarness.ps1')
    $script:Saved = Save-NodeEnvironment
    $script:Containerd = 'npipe:////./pipe/containerd-containerd'
    # Our bootstrap's kubelet service command line (Get-ServiceCommandLine with kubeadm's flags).
    $script:KubeletLine = '"C:\k\kube-log-runner.exe" -log-file="C:\var\log\kubelet\kubelet.log" C:\k\kubelet.exe --hostname-override=win-1 --container-runtime-endpoint=npipe:////./pipe/containerd-containerd --node-ip=10.0.2.21'
}
AfterAll { Restore-NodeEnvironment $script:Saved }

Describe 'runtime section: containerd 2.0.10, crictl 1.33, healthy' {
    BeforeAll {
        $r = Invoke-RuntimeScenario -KubeletLine $script:KubeletLine -Recording 'containerd-2.0-healthy' -Save 'runtime-healthy-2.0'
        $script:Runtime = $r.report.runtime
        $script:Calls = $r.calls
    }

    It "asks the endpoint on the kubelet's command line, every call bounded and JSON where crictl has it" {
        $script:Runtime.PSObject.Properties['error'] | Should -BeNullOrEmpty
        $script:Runtime.endpoint | Should -Be $script:Containerd
        $script:Runtime.endpointSource | Should -Be 'kubelet'
        foreach ($call in $script:Calls) {
            ($call[0..5] -join ' ') | Should -Be "--runtime-endpoint $($script:Containerd) --image-endpoint $($script:Containerd) --timeout 10s"
        }
        ($script:Calls | ForEach-Object { $_[6] }) | Should -Be @('version', 'info', 'pods', 'ps', 'inspect', 'images', 'inspecti', 'imagefsinfo')
        # Only the one exited container is inspected; all five images in one inspecti call.
        @($script:Calls | Where-Object { $_[6] -eq 'inspect' })[0].Count | Should -Be 11
        @($script:Calls | Where-Object { $_[6] -eq 'inspecti' })[0].Count | Should -Be 14
    }

    It 'reads the version text, the conditions and the CNI load status' {
        $script:Runtime.version.runtimeName | Should -Be 'containerd'
        $script:Runtime.version.runtimeVersion | Should -Be 'v2.0.10'
        $script:Runtime.version.runtimeApiVersion | Should -Be 'v1'
        (@($script:Runtime.conditions) | ForEach-Object { '{0}={1}' -f $_.type, $_.status }) | Should -Be @('RuntimeReady=True', 'NetworkReady=True', 'ContainerdHasNoDeprecationWarnings=True')
        $script:Runtime.lastCniLoadStatus | Should -Be 'OK'
        $script:Runtime.cniConfDir | Should -Be 'C:\etc\cni\net.d'
        # containerd 2.x does not show its sandbox image in crictl info.
        $script:Runtime.sandboxImage | Should -BeNullOrEmpty
    }

    It "takes the images' OS build from crictl 1.31+'s inspecti array, and the image volume from the disk" {
        $pause = @($script:Runtime.images | Where-Object { $_.tags -contains 'registry.k8s.io/pause:3.10.1' })
        $pause | Should -HaveCount 1
        $pause[0].osVersion | Should -Be '10.0.20348.2849'
        $pause[0].pinned | Should -BeTrue
        @($script:Runtime.images | Where-Object { $_.osVersion }).Count | Should -Be 4
        $script:Runtime.imageFs.mountpoint | Should -Be 'C:\ProgramData\containerd\root\io.containerd.snapshotter.v1.windows'
        $script:Runtime.imageFs.drive | Should -Be 'C:'
        $script:Runtime.imageFs.freeBytes | Should -Be 53687091200
        $script:Runtime.sandboxes.notReady[0].name | Should -Be 'migrate-db-7xk2p'
    }
}

Describe 'runtime section: containerd 1.7.27, crictl 1.28, broken' {
    BeforeAll {
        $r = Invoke-RuntimeScenario -KubeletLine $script:KubeletLine -Recording 'containerd-1.7-broken' -Save 'runtime-broken-1.7' -FreeBytes 5454608465
        $script:Runtime = $r.report.runtime
        $script:Calls = $r.calls
    }

    It 'reports NetworkReady=false with its reason and message, and the last CNI load' {
        $net = @($script:Runtime.conditions | Where-Object { $_.type -eq 'NetworkReady' })[0]
        $net.status | Should -BeFalse
        $net.reason | Should -Be 'NetworkPluginNotReady'
        $net.message | Should -Be 'Network plugin returns error: cni plugin not initialized'
        $script:Runtime.lastCniLoadStatus | Should -BeLike 'cni config load failed: no network config found in C:\etc\cni\net.d*'
        $script:Runtime.sandboxImage | Should -Be 'mirror.example.com/pause:3.9-ltsc2019'
    }

    It "names the crash loop with its pod, restarts and exit, from crictl 1.28's one-document-per-id inspect" {
        $flannel = @($script:Runtime.containers.notable | Where-Object { $_.name -eq 'kube-flannel' })[0]
        $flannel.podNamespace | Should -Be 'kube-flannel'
        $flannel.podName | Should -Be 'kube-flannel-ds-windows-win-1'
        $flannel.restartCount | Should -Be 7
        $flannel.exitCode | Should -Be 1
        # Get-NodeReport reads the report with pwsh's ConvertFrom-Json, which makes dates of ISO text.
        ([datetime]$flannel.finishedAt).ToUniversalTime().ToString('o') | Should -Be '2026-11-28T19:38:04.0000000Z'
        $flannel.image | Should -Be 'sigwindowstools/flannel:v0.26'
        $app = @($script:Runtime.containers.notable | Where-Object { $_.podName -eq 'legacy-app-5d9f7' })[0]
        $app.reason | Should -Be 'StartError'
        $app.message | Should -BeLike '*does not match the host operating system*'
        @($script:Calls | Where-Object { $_[6] -eq 'inspect' })[0].Count | Should -Be 12
    }

    It "keeps the pod without a ready sandbox, the images' builds and crictl 1.28's image filesystem" {
        @($script:Runtime.sandboxes.notReady | Where-Object { $_.name -eq 'web-win-1' -and -not $_.podHasReadySandbox }).Count | Should -Be 2
        @($script:Runtime.images | Where-Object { $_.osVersion -like '10.0.17763.*' }).Count | Should -Be 5
        $script:Runtime.imageFs.mountpoint | Should -Be 'C:\ProgramData\containerd\root\io.containerd.snapshotter.v1.windows'
        $script:Runtime.imageFs.usedBytes | Should -Be 0
        $script:Runtime.imageFs.freeBytes | Should -Be 5454608465
    }
}

Describe 'runtime section: no crictl, no answer, no end' {
    BeforeAll {
        Import-NodeCheckFunctions
        $global:CrictlTimeoutSeconds = 30
        $global:CriEndpoint = ''
    }
    BeforeEach {
        Initialize-NodeRoot -Root (Join-Path $TestDrive ([guid]::NewGuid()))
        Install-WindowsStubs -Hns (Get-RecordedHns)
        [Environment]::SetEnvironmentVariable('CONTAINER_RUNTIME_ENDPOINT', $null)
    }
    AfterAll {
        Remove-Variable -Name CrictlTimeoutSeconds, CriEndpoint -Scope Global -ErrorAction SilentlyContinue
    }

    It 'without crictl says where it looked, with the endpoint the containerd service implies' {
        $s = Get-RuntimeSection
        $s.skipped | Should -Be ('crictl not found in {0}, in {1} or on PATH' -f (Join-Path $env:SystemDrive 'k'), (Join-Path $env:ProgramFiles 'containerd'))
        $s.endpoint | Should -Be $script:Containerd
        $s.endpointSource | Should -Be 'inferred'
        $s.Contains('version') | Should -BeFalse
    }

    It 'skips, saying why, when crictl cannot start' {
        $null = Install-FakeCrictl -Recording 'containerd-2.0-healthy'
        $exe = Join-Path $env:SystemDrive 'k/crictl.exe'
        & chmod 644 $exe
        $s = Get-RuntimeSection
        $s.skipped | Should -BeLike "crictl at $((Get-Item -LiteralPath $exe).FullName) could not start: *"
        $s.Contains('unreachable') -and $s.unreachable | Should -BeFalse
    }

    It "when the endpoint does not answer, records crictl's own error once and asks nothing more" {
        $log = Install-FakeCrictl -Recording 'containerd-2.0-healthy'
        $global:CriEndpoint = 'npipe:////./pipe/cri-dockerd'
        try { $s = Get-RuntimeSection } finally { $global:CriEndpoint = '' }
        $s.endpointSource | Should -Be 'parameter'
        $s.unreachable | Should -Be 'crictl version: validate service connection: validate CRI v1 runtime API for endpoint "npipe:////./pipe/cri-dockerd": rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: open \\.\pipe\cri-dockerd: The system cannot find the file specified."'
        @(Get-CrictlCalls $log).Count | Should -Be 1
    }

    It 'stops a crictl that never ends, with the endpoint crictl is configured with' {
        $log = Install-FakeCrictl -Recording 'containerd-2.0-healthy' -Hang
        $env:CONTAINER_RUNTIME_ENDPOINT = $script:Containerd
        $global:CrictlTimeoutSeconds = 1
        try { $s = Get-RuntimeSection } finally { $global:CrictlTimeoutSeconds = 30 }
        $s.endpointSource | Should -Be 'environment'
        $s.unreachable | Should -Be 'crictl version did not finish within 1s'
        @(Get-CrictlCalls $log).Count | Should -Be 1
    }

    It 'after one command hangs, runs no other: each would wait as long' {
        $log = Install-FakeCrictl -Recording 'containerd-2.0-healthy' -HangOn 'info'
        $global:WinK8sStubKubeletCommandLine = $script:KubeletLine
        $global:CrictlTimeoutSeconds = 1
        try { $s = Get-RuntimeSection } finally { $global:CrictlTimeoutSeconds = 30 }
        $s.version.runtimeVersion | Should -Be 'v2.0.10'
        $s.statusError | Should -Be 'crictl info did not finish within 1s'
        $s.sandboxesError | Should -Be 'crictl pods not run: crictl info did not finish within 1s'
        $s.imageFsError | Should -Be 'crictl imagefsinfo not run: crictl info did not finish within 1s'
        (Get-CrictlCalls $log | ForEach-Object { $_[6] }) | Should -Be @('version', 'info')
    }
}
