namespace ActorQm.Tls;

/// <summary>
/// RFC 9618's valid_policy_graph: one node per policy and depth, with as many parents as expect
/// it, so its size grows with the policies and mappings in the path, not exponentially with its
/// depth. Qualifiers are not kept (they are not returned). Bounded by
/// <see cref="CertificatePolicies.MaxNodes"/> and <see cref="CertificatePolicies.MaxEdges"/>.
/// </summary>
internal sealed class PolicyGraph
{
    private const string AnyPolicy = CertificatePolicies.AnyPolicy;
    private readonly List<Dictionary<string, Node>> _depths;
    private int _nodes;
    private int _edges;

    /// <summary>Depth 0: anyPolicy expecting anyPolicy (RFC 9618's 6.1.2 (a)).</summary>
    public PolicyGraph()
    {
        _depths = [new(StringComparer.Ordinal) { [AnyPolicy] = new Node(AnyPolicy, [AnyPolicy], []) }];
        _nodes = 1;
    }

    /// <summary>Every node was pruned: the graph is NULL.</summary>
    public bool IsEmpty => _depths[0].Count == 0;

    /// <summary>Which bound the graph went beyond, if it did (it then stops growing).</summary>
    public string? Exceeded =>
        _nodes > CertificatePolicies.MaxNodes ? $"{CertificatePolicies.MaxNodes} policy nodes"
        : _edges > CertificatePolicies.MaxEdges ? $"{CertificatePolicies.MaxEdges} policy edges"
        : null;

    /// <summary>RFC 9618's 6.1.3 (d): the next certificate's policies; <paramref name="anyPolicyCounts"/> says whether its anyPolicy may stand for the expected ones.</summary>
    public void AddDepth(IReadOnlyList<string> policies, bool anyPolicyCounts)
    {
        var previous = _depths[^1];
        var depth = new Dictionary<string, Node>(StringComparer.Ordinal);
        _depths.Add(depth);
        var expecting = new Dictionary<string, List<Node>>(StringComparer.Ordinal);
        foreach (var node in previous.Values)
        {
            foreach (var policy in node.Expected)
            {
                (expecting.TryGetValue(policy, out var parents) ? parents : expecting[policy] = []).Add(node);
            }
        }

        previous.TryGetValue(AnyPolicy, out var anyParent);
        foreach (var policy in policies.Where(p => p != AnyPolicy))
        {
            // (1)(i) the nodes expecting it, else (1)(ii) anyPolicy.
            var parents = expecting.GetValueOrDefault(policy) ?? (anyParent is null ? null : new List<Node> { anyParent });
            if (parents is not null)
            {
                Add(depth, policy, [policy], parents);
            }
        }

        // (2): the certificate's anyPolicy matches every expected policy not matched yet (anyPolicy included).
        if (anyPolicyCounts && policies.Contains(AnyPolicy))
        {
            foreach (var (policy, parents) in expecting.Where(e => !depth.ContainsKey(e.Key)))
            {
                Add(depth, policy, [policy], parents);
            }
        }

        Prune();
    }

    /// <summary>
    /// RFC 9618's 6.1.4 (b), for the certificate last added: with mapping allowed, a mapped
    /// policy expects its subject-domain policies from the next certificate on; without, it is deleted.
    /// </summary>
    public void Map(IReadOnlyDictionary<string, List<string>> mappings, bool allowed)
    {
        var depth = _depths[^1];
        depth.TryGetValue(AnyPolicy, out var anyNode);
        foreach (var (issuerPolicy, subjectPolicies) in mappings)
        {
            if (!allowed)
            {
                if (depth.Remove(issuerPolicy, out var removed))
                {
                    Detach(removed);
                }
            }
            else if (depth.TryGetValue(issuerPolicy, out var node))
            {
                node.Expected = subjectPolicies;
            }
            else if (anyNode is not null)
            {
                // A sibling of the anyPolicy node: a child of the anyPolicy node one depth up.
                Add(depth, issuerPolicy, subjectPolicies, [.. anyNode.Parents]);
            }
        }

        if (!allowed)
        {
            Prune();
        }
    }

    /// <summary>RFC 9618's 6.1.5 (g): the policies valid for the path that the relying party accepts.</summary>
    public HashSet<string> UserConstrainedPolicies(IReadOnlyCollection<string> initialPolicySet)
    {
        var authority = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in _depths.Skip(1).SelectMany(d => d.Values))
        {
            if (node.Policy != AnyPolicy && node.Parents is [{ Policy: AnyPolicy }])
            {
                authority.Add(node.Policy);
            }
        }

        if (_depths[^1].ContainsKey(AnyPolicy))
        {
            authority.Add(AnyPolicy);
        }

        if (initialPolicySet.Contains(AnyPolicy))
        {
            return authority;
        }

        var user = authority.Where(initialPolicySet.Contains).ToHashSet(StringComparer.Ordinal);
        if (authority.Contains(AnyPolicy))
        {
            user.UnionWith(initialPolicySet);
        }

        return user;
    }

    private void Add(Dictionary<string, Node> depth, string policy, List<string> expected, List<Node> parents)
    {
        // Past a bound the caller refuses the path: stop growing so the refusal stays cheap.
        if (Exceeded is not null)
        {
            return;
        }

        _nodes++;
        _edges += parents.Count;
        depth[policy] = new Node(policy, expected, parents);
        foreach (var parent in parents)
        {
            parent.Children++;
        }
    }

    /// <summary>Deletes, from the depth above the newest up to the root, every node left without children.</summary>
    private void Prune()
    {
        for (var d = _depths.Count - 2; d >= 0; d--)
        {
            foreach (var childless in _depths[d].Values.Where(n => n.Children == 0).ToList())
            {
                _depths[d].Remove(childless.Policy);
                Detach(childless);
            }
        }
    }

    private static void Detach(Node node)
    {
        foreach (var parent in node.Parents)
        {
            parent.Children--;
        }
    }

    private sealed class Node(string policy, List<string> expected, List<Node> parents)
    {
        public string Policy { get; } = policy;

        public List<string> Expected { get; set; } = expected;

        /// <summary>Fixed once made: only childless nodes are ever deleted, so no parent disappears under a live child.</summary>
        public List<Node> Parents { get; } = parents;

        public int Children { get; set; }
    }
}
