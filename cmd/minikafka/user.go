package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/spf13/cobra"
	"github.com/twmb/franz-go/pkg/kadm"
)

func init() { commands = append(commands, userCommand) }

func parseScramMechanism(s string) (kadm.ScramMechanism, error) {
	switch strings.ToUpper(s) {
	case "SCRAM-SHA-256":
		return kadm.ScramSha256, nil
	case "SCRAM-SHA-512":
		return kadm.ScramSha512, nil
	}
	return 0, fmt.Errorf("--mechanism: want SCRAM-SHA-256 or SCRAM-SHA-512, got %q", s)
}

func userCommand() *cobra.Command {
	var f clientFlags
	cmd := &cobra.Command{Use: "user", Short: "Manage SCRAM users (AlterUserScramCredentials / DescribeUserScramCredentials)"}
	f.register(cmd)

	var password string
	var mechs []string
	var iterations int32
	add := &cobra.Command{
		Use:   "add USER",
		Short: "Create or update a SCRAM user",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if password == "" {
				return fmt.Errorf("--password is required")
			}
			var ups []kadm.UpsertSCRAM
			for _, m := range mechs {
				mech, err := parseScramMechanism(m)
				if err != nil {
					return err
				}
				ups = append(ups, kadm.UpsertSCRAM{User: args[0], Mechanism: mech, Iterations: iterations, Password: password})
			}
			return alterUsers(cmd, &f, nil, ups, "saved")
		},
	}
	add.Flags().StringVar(&password, "password", "", "the user's password")
	add.Flags().StringArrayVar(&mechs, "mechanism", []string{"SCRAM-SHA-256", "SCRAM-SHA-512"}, "SCRAM mechanism (repeatable)")
	add.Flags().Int32Var(&iterations, "iterations", 8192, "PBKDF2 iterations (4096–16384)")

	list := &cobra.Command{
		Use:   "list [USER...]",
		Short: "List SCRAM users and their mechanisms",
		RunE: func(cmd *cobra.Command, args []string) error {
			adm, done, err := f.admin()
			if err != nil {
				return err
			}
			defer done()
			ctx, cancel := f.ctx()
			defer cancel()
			described, err := adm.DescribeUserSCRAMs(ctx, args...)
			if err != nil {
				return fmt.Errorf("describe users: %w", err)
			}
			var rows [][]string
			failed := 0
			for _, u := range described.Sorted() {
				if u.Err != nil {
					failed++
					rows = append(rows, []string{u.User, "-", "-", errText(u.Err, u.ErrMessage)})
					continue
				}
				sort.Slice(u.CredInfos, func(i, j int) bool { return u.CredInfos[i].Mechanism < u.CredInfos[j].Mechanism })
				for _, ci := range u.CredInfos {
					rows = append(rows, []string{u.User, ci.Mechanism.String(), strconv.Itoa(int(ci.Iterations)), "ok"})
				}
			}
			if err := printRows(cmd.OutOrStdout(), f.output, []string{"USER", "MECHANISM", "ITERATIONS", "STATUS"}, rows); err != nil {
				return err
			}
			if failed > 0 {
				return fmt.Errorf("%d user(s) could not be described", failed)
			}
			return nil
		},
	}

	var rmMechs []string
	remove := &cobra.Command{
		Use:   "remove USER",
		Short: "Delete a user's SCRAM credentials",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var dels []kadm.DeleteSCRAM
			for _, m := range rmMechs {
				mech, err := parseScramMechanism(m)
				if err != nil {
					return err
				}
				dels = append(dels, kadm.DeleteSCRAM{User: args[0], Mechanism: mech})
			}
			return alterUsers(cmd, &f, dels, nil, "removed")
		},
	}
	remove.Flags().StringArrayVar(&rmMechs, "mechanism", []string{"SCRAM-SHA-256"}, "SCRAM mechanism to delete (repeatable)")

	cmd.AddCommand(add, list, remove)
	return cmd
}

// alterUsers applies the changes one per AlterUserScramCredentials
// request: Kafka (KRaft) refuses two changes of one user in one request
// with DUPLICATE_RESOURCE, even for different mechanisms, so adding both
// SCRAM mechanisms takes two requests (as kafka-configs users learn).
func alterUsers(cmd *cobra.Command, f *clientFlags, dels []kadm.DeleteSCRAM, ups []kadm.UpsertSCRAM, verb string) error {
	adm, done, err := f.admin()
	if err != nil {
		return err
	}
	defer done()
	ctx, cancel := f.ctx()
	defer cancel()
	type change struct {
		mech string
		del  []kadm.DeleteSCRAM
		up   []kadm.UpsertSCRAM
	}
	var changes []change
	for _, d := range dels {
		changes = append(changes, change{mech: d.Mechanism.String(), del: []kadm.DeleteSCRAM{d}})
	}
	for _, u := range ups {
		changes = append(changes, change{mech: u.Mechanism.String(), up: []kadm.UpsertSCRAM{u}})
	}
	var rows [][]string
	failed := 0
	for _, c := range changes {
		altered, err := adm.AlterUserSCRAMs(ctx, c.del, c.up)
		if err != nil {
			return fmt.Errorf("alter users: %w", err)
		}
		for _, a := range altered.Sorted() {
			status := verb
			if a.Err != nil {
				failed++
				status = errText(a.Err, a.ErrMessage)
			}
			rows = append(rows, []string{a.User, c.mech, status})
		}
	}
	if err := printRows(cmd.OutOrStdout(), f.output, []string{"USER", "MECHANISM", "STATUS"}, rows); err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d user change(s) failed", failed)
	}
	return nil
}
