# templates/diagnose/node-checks.ps1 run whole under pwsh on a stubbed Windows boundary
# (NodeHarness.ps1); the mocha driver feeds the same report to the CLI's parser and checks.
BeforeAll {
    . (Join-Path $PSScriptRoot 'NodeHarness.ps1')
    $script:Saved = @{}
    foreach ($n in @('SystemDrive', 'ProgramData', 'ProgramFiles', 'SystemRoot', 'COMPUTERNAME')) { $script:Saved[$n] = [Environment]::GetEnvironmentVariable($n) }
}
AfterAll {
    Remove-WindowsStubs
    foreach ($n in $script:Saved.Keys) { [Environment]::SetEnvironmentVariable($n, $script:Saved[$n]) }
}

Describe 'node-checks.ps1 on a healthy flannel node' {
    BeforeAll {
        Initialize-NodeRoot -Root $TestDrive
        Install-WindowsStubs -Hns (Get-RecordedHns)
        $script:Report = Get-NodeReport (Invoke-NodeChecks -Parameters @{ NetworkName = 'flannel.4096'; NetworkType = 'Overlay' })
    }

    It 'reports every section without an error' {
        foreach ($s in @('os', 'services', 'hns', 'ephemeralPorts', 'firewall', 'defender', 'disk', 'clock', 'containerd', 'logs')) {
            $script:Report.$s.PSObject.Properties['error'] | Should -BeNullOrEmpty -Because "section ${s}: $($script:Report.$s.error)"
        }
    }

    It "reads flannel's network from the HNS cmdlets' own field names" {
        $net = @($script:Report.hns.networks | Where-Object { $_.name -eq 'flannel.4096' })
        $net | Should -HaveCount 1
        $net[0].type | Should -Be 'Overlay'
        $net[0].managementIp | Should -Be '10.0.2.21'
        $net[0].id | Should -Be 'E0C8A5D1-7E5B-4C55-A7A0-6A1E7B3B2F90'
        $net[0].subnets[0].addressPrefix | Should -Be '10.244.21.0/24'
        @($script:Report.hns.endpoints | Where-Object { $_.isRemote }).ipAddress | Should -Be '10.244.0.5'
        @($script:Report.hns.loadBalancers | Where-Object { $_.protocol -eq 17 }).vips | Should -Be '10.96.0.10'
    }

    It 'finds the logs and the containerd config under the roots, the UTF-16 log included' {
        @($script:Report.logs.files).Count | Should -Be 3
        foreach ($f in $script:Report.logs.files) { $f.path | Should -BeLike "$TestDrive*" }
        $script:Report.containerd.configPath | Should -Be (Join-Path $env:ProgramFiles 'containerd/config.toml')
        $script:Report.containerd.sandboxImage | Should -Be 'registry.k8s.io/pause:3.10.1'
        $script:Report.containerd.version | Should -BeLike '*v2.0.10*'
        (@($script:Report.logs.matches) | ForEach-Object { '{0}/{1}' -f $_.source, $_.signature }) | Should -Be @('kubelet/cni-not-initialized', 'kube-proxy/hns-port-exists', 'containerd/sandbox-name-reserved')
    }

    It "measures the clock with w32tm's median sample and parses netsh's ranges" {
        $script:Report.clock.method | Should -Be 'w32tm'
        $script:Report.clock.skewSeconds | Should -Be 0.01
        $script:Report.ephemeralPorts.start | Should -Be 49152
        $script:Report.ephemeralPorts.excluded | Should -Be 200
    }
}

Describe 'node-checks.ps1 paths' {
    It 'names no literal drive: every path comes from SystemDrive, ProgramData, ProgramFiles or SystemRoot' {
        $tokens = $null
        $errors = $null
        $ast = [System.Management.Automation.Language.Parser]::ParseFile((Resolve-Path $script:ScriptPath).Path, [ref]$tokens, [ref]$errors)
        $errors | Should -BeNullOrEmpty
        $strings = $ast.FindAll({ param($n) $n -is [System.Management.Automation.Language.StringConstantExpressionAst] -or $n -is [System.Management.Automation.Language.ExpandableStringExpressionAst] }, $true)
        @($strings | Where-Object { $_.Value -match '(?i)\b[a-z]:\\' } | ForEach-Object { $_.Extent.Text }) | Should -BeNullOrEmpty
    }
}
