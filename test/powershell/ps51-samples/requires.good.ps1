#requires -Version 5.1
using namespace System.Collections.Generic
$list = New-Object 'List[string]'
