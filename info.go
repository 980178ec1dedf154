package minikafka

import "sort"

// Info is what a person starting the broker wants to know about its
// security setup (the `minikafka serve` banner prints it).
type Info struct {
	// Authorization is on; SuperUsers and ACLs then describe it.
	Authorization bool
	SuperUsers    []string
	ACLs          int
	// IssuerURL is the development token issuer's base URL ("" when off);
	// its token endpoint is IssuerURL + "/oauth/token". IssuerClients are
	// its client ids, sorted.
	IssuerURL     string
	IssuerClients []string
	// Topics are the topics created from the configuration, in order.
	Topics []string
}

// Info describes the broker (after Start for the issuer URL).
func (mb *Broker) Info() Info {
	in := Info{Authorization: mb.acls != nil, SuperUsers: append([]string(nil), mb.cfg.Authorizer.SuperUsers...)}
	if n, ok := aclCount(mb); ok {
		in.ACLs = n
	}
	if st, err := mb.oauth(); err == nil && st.issuer != nil {
		in.IssuerURL = st.issuer.issuerURL()
		for id := range st.issuer.cfg.Clients {
			in.IssuerClients = append(in.IssuerClients, id)
		}
		sort.Strings(in.IssuerClients)
	}
	for _, t := range mb.cfg.Topics {
		in.Topics = append(in.Topics, t.Name)
	}
	return in
}

// IssuerTokenPath is the path of the development issuer's token endpoint
// on the admin listener.
const IssuerTokenPath = issuerTokenPath
